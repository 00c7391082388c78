using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Exact search over every stored image vector. Vectors live in one contiguous block;
/// a product owns one or more rows (its images) and a search returns each product once,
/// represented by its best-scoring image. Not thread-safe for writes: the owning shard
/// grain serialises them. Searches may run concurrently with each other, never with a write.
/// </summary>
/// <remarks>
/// For <see cref="DistanceMetric.Cosine"/> vectors are stored L2-normalised and the query is normalised
/// once per search, so the scan is a plain dot product; scores equal
/// <see cref="DistanceMetrics.Score"/> up to single-precision rounding.
/// <para>The vectors live on the managed heap, or in a memory-mapped scratch file (see <see cref="VectorStorage"/>);
/// dispose the index to release the file.</para>
/// </remarks>
public sealed class FlatVectorIndex : IVectorIndex
{
    // Above this many floats the normalised cosine query goes to the array pool instead of the stack.
    private const int StackQueryLimit = 1024;

    // Layout. Row r is _vectors[r·Dimension .. (r+1)·Dimension); who owns it, and which image it is, is in the shared
    // bookkeeping (_rows, dense: removal moves the last row into each hole, so rows [0, RowCount) are the live ones
    // and row order means nothing).
    private readonly ProductRows _rows;
    private readonly VectorRows _vectors;

    /// <param name="dimension">Length of every vector; at least 1.</param>
    /// <param name="metric">How vectors are compared.</param>
    /// <param name="storage">Where the vectors live; null for <see cref="VectorStorage.Memory"/>.</param>
    public FlatVectorIndex(int dimension, DistanceMetric metric, VectorStorage? storage = null)
    {
        Dimension = dimension >= 1
            ? dimension
            : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be at least 1.");
        Metric = Enum.IsDefined(metric)
            ? metric
            : throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric.");
        Storage = storage ?? VectorStorage.Memory;
        _vectors = Storage.CreateRows();
        _rows = new ProductRows(MoveRow);
    }

    /// <summary>Length of every vector this index holds; at least 1.</summary>
    public int Dimension { get; }

    /// <summary>How vectors are compared, and so which scores come back and which way is better.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>Where the vectors live.</summary>
    public VectorStorage Storage { get; }

    /// <summary>Number of products held.</summary>
    public int ProductCount => _rows.ProductCount;

    /// <summary>Number of image vectors held.</summary>
    public int ImageCount => _rows.RowCount;

    /// <summary>Always 0: a removed product's rows are dropped at once.</summary>
    public int TombstoneCount => 0;

    /// <summary>
    /// Estimated bytes held: the vector block's capacity (on the heap or in the mapped file) and the bookkeeping
    /// (see <see cref="IVectorIndex.MemoryBytes"/>).
    /// </summary>
    public long MemoryBytes => (sizeof(float) * (long)_vectors.Values.Length) + _rows.MemoryBytes;

    /// <summary>Every product held, in no particular order. Fails if the index is written to meanwhile.</summary>
    public IEnumerable<IndexedProduct> Products => _rows.Enumerate();

    /// <summary>Whether a product with this id (ordinal) is held.</summary>
    public bool Contains(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        return _rows.Contains(productId);
    }

    /// <summary>
    /// Copies a product's vectors as stored, image by image (<c>imageCount × Dimension</c> floats), for
    /// snapshots. For <see cref="DistanceMetric.Cosine"/> these are the L2-normalised vectors: upserting
    /// them again normalises them again, which can move a value by one unit in the last place.
    /// </summary>
    /// <returns>False when the product is not held.</returns>
    public bool TryCopyVectors(string productId, [NotNullWhen(true)] out float[]? vectors)
    {
        ArgumentNullException.ThrowIfNull(productId);
        if (!_rows.TryGetSlot(productId, out var slot))
        {
            vectors = null;
            return false;
        }

        var rows = _rows.RowsOf(slot);
        vectors = new float[rows.Length * Dimension];
        for (var image = 0; image < rows.Length; image++)
        {
            RowSpan(rows[image]).CopyTo(vectors.AsSpan(image * Dimension, Dimension));
        }

        return true;
    }

    /// <summary>
    /// As <see cref="TryCopyVectors(string, out float[])"/>, into the first <c>imageCount × Dimension</c> floats of
    /// <paramref name="destination"/>, for callers that reuse one buffer across products.
    /// </summary>
    /// <returns>False when the product is not held.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the product's vectors.</exception>
    public bool TryCopyVectors(string productId, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(productId);
        if (!_rows.TryGetSlot(productId, out var slot))
        {
            return false;
        }

        var rows = _rows.RowsOf(slot);
        if (destination.Length < rows.Length * Dimension)
        {
            throw new ArgumentException(
                $"Product '{productId}' has {rows.Length} vectors of {Dimension} floats; the destination holds {destination.Length} floats.", nameof(destination));
        }

        for (var image = 0; image < rows.Length; image++)
        {
            RowSpan(rows[image]).CopyTo(destination.Slice(image * Dimension, Dimension));
        }

        return true;
    }

    /// <summary>
    /// A copy of the index, products and vectors, whose vectors live in <paramref name="storage"/>: a frozen view
    /// for work that runs beside later writes (a graph build, a snapshot write). The rows are copied as one block.
    /// </summary>
    public FlatVectorIndex Clone(VectorStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var copy = new FlatVectorIndex(Dimension, Metric, storage);
        try
        {
            copy.EnsureRowCapacity(_rows.RowCount);
            _vectors.Values[..(_rows.RowCount * Dimension)].CopyTo(copy._vectors.Values);
            _rows.CopyTo(copy._rows);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Releases the vectors' scratch file, if they have one. The index must not be used afterwards.</summary>
    public void Dispose() => _vectors.Dispose();

    /// <summary>
    /// Adds or replaces a product: <paramref name="vectors"/> holds its images' vectors,
    /// <c>imageCount × Dimension</c> floats; any previous rows of the product are dropped.
    /// The index is unchanged when this throws.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No vectors, a length that is not a multiple of <see cref="Dimension"/>, or a NaN, infinite or
    /// overflowing value.
    /// </exception>
    public void Upsert(string productId, string? category, ReadOnlySpan<float> vectors) =>
        UpsertSlot(productId, category, vectors);

    /// <summary>
    /// As <see cref="Upsert(string, string?, ReadOnlySpan{float})"/>, keeping <paramref name="metadata"/> with the
    /// product (<see cref="TryGetProduct"/>): a shard's product table is this index's bookkeeping, not a map of its own.
    /// </summary>
    internal void Upsert(string productId, string? category, string? metadata, ReadOnlySpan<float> vectors) =>
        _rows.SetMetadata(UpsertSlot(productId, category, vectors), metadata);

    /// <summary>A held product's id (the instance held), category, image count and the metadata kept with it.</summary>
    internal bool TryGetProduct(string productId, out IndexedProduct product, out string? metadata)
    {
        if (!_rows.TryGetSlot(productId, out var slot))
        {
            (product, metadata) = (default, null);
            return false;
        }

        product = new IndexedProduct(_rows.Ids[slot], _rows.Categories[slot], _rows.ImageCountOf(slot));
        metadata = _rows.MetadataOf(slot);
        return true;
    }

    /// <summary>Every product held with its metadata, in no particular order. Fails if the index is written to meanwhile.</summary>
    internal IEnumerable<(IndexedProduct Product, string? Metadata)> ProductsWithMetadata()
    {
        var slot = 0;
        foreach (var product in _rows.Enumerate())
        {
            yield return (product, _rows.MetadataOf(slot++));
        }
    }

    private int UpsertSlot(string productId, string? category, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(productId);
        var imageCount = ProductVectors.Validate(productId, vectors, Dimension);

        var existingRows = _rows.TryGetSlot(productId, out var slot) ? _rows.ImageCountOf(slot) : 0;

        // Grow first: after this point nothing can fail, so a throw never leaves half a product behind.
        EnsureRowCapacity((long)_rows.RowCount - existingRows + imageCount);
        slot = _rows.Place(productId, category, imageCount, out _);
        for (var image = 0; image < imageCount; image++)
        {
            var row = _rows.AppendRow(slot, image);
            var destination = _vectors.Values.Slice(row * Dimension, Dimension);
            vectors.Slice(image * Dimension, Dimension).CopyTo(destination);
            if (Metric == DistanceMetric.Cosine)
            {
                ProductVectors.NormaliseInPlace(destination);
            }
        }

        return slot;
    }

    /// <summary>Removes a product; false if it was not there.</summary>
    public bool Remove(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        return _rows.Remove(productId, out _);
    }

    /// <summary>
    /// Top <paramref name="k"/> products, best first, ties broken by ordinal product id.
    /// <paramref name="category"/>, when given, is applied inside the scan (exact, ordinal match).
    /// Each product appears at most once, with its best image (lowest image index among equal scores).
    /// Returns fewer than <paramref name="k"/> hits when fewer products qualify.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// The query's length is not <see cref="Dimension"/>, or it holds a NaN, infinite or overflowing value.
    /// </exception>
    public IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query, int k, string? category = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ProductVectors.ValidateQuery(query, Dimension);
        return SearchValidated(query, 1, k, category)[0];
    }

    /// <summary>
    /// Exact scores for the named products only, as <see cref="Search"/> would score them (same best image, same
    /// score to the bit), best first, at most <paramref name="k"/>. Ids not held, and repeated ids, are skipped.
    /// For re-ranking candidates that an approximate index found: the approximation decides which products are
    /// looked at, this decides their order and scores.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimension"/>, or it holds a NaN,
    /// infinite or overflowing value.</exception>
    public IReadOnlyList<IndexHit> Rescore(ReadOnlySpan<float> query, IEnumerable<string> productIds, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentNullException.ThrowIfNull(productIds);
        ProductVectors.ValidateQuery(query, Dimension);

        float[]? rented = null;
        var unit = Metric != DistanceMetric.Cosine ? default
            : Dimension <= StackQueryLimit ? stackalloc float[Dimension]
            : (rented = ArrayPool<float>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        try
        {
            if (Metric == DistanceMetric.Cosine)
            {
                query.CopyTo(unit);
                ProductVectors.NormaliseInPlace(unit);
            }

            ReadOnlySpan<float> scored = Metric == DistanceMetric.Cosine ? unit : query;
            var seen = new HashSet<int>();
            var hits = new List<IndexHit>();
            foreach (var productId in productIds)
            {
                if (productId is null || !_rows.TryGetSlot(productId, out var slot) || !seen.Add(slot))
                {
                    continue;
                }

                var best = BestImage(scored, _rows.RowsOf(slot), out var bestImage);
                hits.Add(new IndexHit(_rows.Ids[slot], bestImage, best));
            }

            ProductHits.SortAndTake(hits, k, Metric);
            return hits;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// A product's best image and its score, each row scored as every scan scores it (the dot kernels sum a pair in
    /// the order <see cref="DotKernels.Dot"/> does).
    /// </summary>
    private float BestImage(ReadOnlySpan<float> query, ReadOnlySpan<int> rows, out int image) => Metric switch
    {
        DistanceMetric.Cosine or DistanceMetric.Dot => BestImage<DotScorer>(query, rows, out image),
        DistanceMetric.L2 => BestImage<EuclideanScorer>(query, rows, out image),
        _ => BestImage<ManhattanScorer>(query, rows, out image),
    };

    private float BestImage<TScorer>(ReadOnlySpan<float> query, ReadOnlySpan<int> rows, out int image)
        where TScorer : struct, IRowScorer
    {
        var scores = new RowScores<TScorer>(query, _vectors.Values, Dimension) { Rows = rows };
        return ProductHits.BestImage(ref scores, rows.Length, DistanceMetrics.HigherIsBetter(Metric), out image);
    }

    /// <summary>
    /// Answers several queries in one pass over the vectors: <paramref name="queries"/> holds them back to back,
    /// <c>queryCount × Dimension</c> floats, and answer i is exactly what <see cref="Search"/> returns for query i
    /// (same hits, same scores, same order). For cosine and dot a block of rows is scored against every query
    /// while it is in cache (<see cref="DotKernels"/>), so a batch of 16 reads memory about once instead of 16
    /// times; for L2 and L1 the queries are answered one after another.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// No queries, a length that is not a multiple of <see cref="Dimension"/>, or a query holding a NaN,
    /// infinite or overflowing value (the message names which).
    /// </exception>
    public IReadOnlyList<IndexHit>[] SearchBatch(ReadOnlySpan<float> queries, int k, string? category = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (queries.IsEmpty || queries.Length % Dimension != 0)
        {
            throw new ArgumentException(
                $"The batch has {queries.Length} values; it must hold one or more whole {Dimension}-dimensional queries.",
                nameof(queries));
        }

        var queryCount = queries.Length / Dimension;
        for (var q = 0; q < queryCount; q++)
        {
            try
            {
                ProductVectors.ValidateQuery(queries.Slice(q * Dimension, Dimension), Dimension);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Query {q} of the batch: {ex.Message}", nameof(queries), ex);
            }
        }

        return SearchValidated(queries, queryCount, k, category);
    }

    private IReadOnlyList<IndexHit>[] SearchValidated(ReadOnlySpan<float> queries, int queryCount, int k, string? category)
    {
        var answers = new IReadOnlyList<IndexHit>[queryCount];

        // No product can have a category that was never interned.
        string? wanted = null;
        var limit = Math.Min(k, _rows.ProductCount);
        if ((category is not null && !_rows.TryGetCategory(category, out wanted)) || limit == 0)
        {
            Array.Fill(answers, Array.Empty<IndexHit>());
            return answers;
        }

        var heaps = new PriorityQueue<IndexHit, IndexHit>[queryCount];
        for (var q = 0; q < queryCount; q++)
        {
            heaps[q] = new PriorityQueue<IndexHit, IndexHit>(limit, DistanceMetrics.WorstFirst(Metric));
        }

        switch (Metric)
        {
            case DistanceMetric.Cosine:
                var length = queryCount * Dimension;
                float[]? rented = null;
                var units = length <= StackQueryLimit
                    ? stackalloc float[length]
                    : (rented = ArrayPool<float>.Shared.Rent(length)).AsSpan(0, length);
                try
                {
                    queries.CopyTo(units);
                    for (var q = 0; q < queryCount; q++)
                    {
                        ProductVectors.NormaliseInPlace(units.Slice(q * Dimension, Dimension));
                    }

                    ScanDot(units, queryCount, wanted, heaps, limit);
                }
                finally
                {
                    if (rented is not null)
                    {
                        ArrayPool<float>.Shared.Return(rented);
                    }
                }

                break;
            case DistanceMetric.Dot:
                ScanDot(queries, queryCount, wanted, heaps, limit);
                break;
            case DistanceMetric.L2:
                for (var q = 0; q < queryCount; q++)
                {
                    Scan<EuclideanScorer>(queries.Slice(q * Dimension, Dimension), wanted, heaps[q], limit);
                }

                break;
            case DistanceMetric.L1:
                for (var q = 0; q < queryCount; q++)
                {
                    Scan<ManhattanScorer>(queries.Slice(q * Dimension, Dimension), wanted, heaps[q], limit);
                }

                break;
        }

        for (var q = 0; q < queryCount; q++)
        {
            answers[q] = ProductHits.DrainBestFirst(heaps[q]);
        }

        return answers;
    }

    /// <summary>
    /// <see cref="Scan{TScorer}"/> for cosine and dot, blocked for the kernel. Without a category the rows are
    /// scored where they lie (<see cref="ScanRows"/>); with one, only that category's products are gathered and
    /// scored (<see cref="ScanProducts"/>). Either way a query alone and the same query in a batch get the same
    /// scores, and the answer depends only on each product's best image, not on the order rows are visited.
    /// </summary>
    private void ScanDot(ReadOnlySpan<float> queries, int queryCount, string? category,
        PriorityQueue<IndexHit, IndexHit>[] heaps, int limit)
    {
        if (category is null)
        {
            ScanRows(queries, queryCount, heaps, limit);
        }
        else
        {
            ScanProducts(queries, queryCount, category, heaps, limit);
        }
    }

    /// <summary>
    /// Scores the rows in storage order, <see cref="DotKernels.RowBlock"/> contiguous rows at a time against every
    /// query, with no per-product bookkeeping on the way: the scan reads memory as a plain stream does. Only a row
    /// that could enter its query's top k is traced to its product (<see cref="Consider"/>).
    /// </summary>
    /// <remarks>
    /// The answer is still the top k of the per-product bests under <see cref="DistanceMetrics.Compare"/>, what the
    /// product-by-product scan returns, though a product's images may lie far apart and out of image order. The heap
    /// holds at most one entry per product, always one of its images, and a later image replaces it when better
    /// (higher score, or equal with a lower image index). A product of the true top k enters when its best image
    /// is met (some kept product's best is worse than that image) and is never pushed out after; a row scoring
    /// below the weakest kept hit can neither enter nor improve a kept entry, so skipping it loses nothing.
    /// Example, k = 1: a's image 1 (0.90) lies at row 5, b (0.92) at row 10, a's image 0 (0.95) at row 300:
    /// a/1 is kept, b pushes it out, a/0 pushes b out, and a with image 0 at 0.95 is the answer.
    /// </remarks>
    private void ScanRows(ReadOnlySpan<float> queries, int queryCount,
        PriorityQueue<IndexHit, IndexHit>[] heaps, int limit)
    {
        var dimension = Dimension;
        var scores = ArrayPool<float>.Shared.Rent(queryCount * DotKernels.RowBlock);
        var kept = new Dictionary<string, IndexHit>?[queryCount];
        try
        {
            var rowCount = _rows.RowCount;
            for (var first = 0; first < rowCount; first += DotKernels.RowBlock)
            {
                var count = Math.Min(DotKernels.RowBlock, rowCount - first);
                DotKernels.DotBatch(queries, dimension, _vectors.Values.Slice(first * dimension, count * dimension),
                    scores.AsSpan(0, queryCount * count));
                for (var q = 0; q < queryCount; q++)
                {
                    var heap = heaps[q];
                    var blockScores = scores.AsSpan(q * count, count);

                    // Once the heap is full most blocks hold no score that could enter: one vectorised maximum
                    // turns the whole block away.
                    var threshold = heap.Count < limit ? float.NegativeInfinity : heap.Peek().Score;
                    if (heap.Count == limit && TensorPrimitives.Max(blockScores) < threshold)
                    {
                        continue;
                    }

                    for (var i = 0; i < blockScores.Length; i++)
                    {
                        if (blockScores[i] < threshold)
                        {
                            continue;
                        }

                        Consider(heap, ref kept[q], limit, first + i, blockScores[i]);
                        if (heap.Count == limit)
                        {
                            threshold = heap.Peek().Score;
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>
    /// Offers one row to the heap as its product's hit. A product already kept is never kept twice: its entry
    /// is replaced when this image scores higher, or equal with a lower image index, and left alone otherwise.
    /// </summary>
    /// <remarks>
    /// <paramref name="kept"/> maps each product of several images in the heap to its entry (created on first
    /// need, keyed by the product's own Id instance), so telling whether a product is kept costs one lookup even
    /// at k = 1000. A product of one image cannot be kept yet, as its only row is this one. Replacing an entry
    /// searches the heap, but happens at most once per further image of a product that clears the threshold.
    /// </remarks>
    private void Consider(PriorityQueue<IndexHit, IndexHit> heap, ref Dictionary<string, IndexHit>? kept, int limit,
        int row, float score)
    {
        var slot = _rows.RowProduct[row];
        var productId = _rows.Ids[slot];
        var hit = new IndexHit(productId, _rows.RowImage[row], score);
        var several = _rows.ImageCountOf(slot) > 1;
        if (several && kept is not null && kept.TryGetValue(productId, out var held))
        {
            if (score > held.Score || (score == held.Score && hit.ImageIndex < held.ImageIndex))
            {
                heap.Remove(held, out _, out _, SameProduct.Instance);
                heap.Enqueue(hit, hit);
                kept[productId] = hit;
            }

            return;
        }

        if (heap.Count < limit)
        {
            heap.Enqueue(hit, hit);
        }
        else
        {
            // As Offer: a score strictly below the root's loses before any tie-break.
            var root = heap.Peek();
            if (score < root.Score || DistanceMetrics.Compare(Metric, hit, root) >= 0)
            {
                return;
            }

            heap.DequeueEnqueue(hit, hit);
            kept?.Remove(root.ProductId);
        }

        if (several)
        {
            (kept ??= new Dictionary<string, IndexHit>(ReferenceEqualityComparer.Instance)).Add(productId, hit);
        }
    }

    /// <summary>
    /// The category-filtered scan: products are taken in slot order, skipping other categories, until their rows
    /// fill a block of about <see cref="DotKernels.RowBlock"/>; the block is scored against every query at once,
    /// and each query then folds the block's scores product by product (best image first, then one offer to its
    /// heap). Gathering costs per-product work, but rows of other categories are never read.
    /// </summary>
    private void ScanProducts(ReadOnlySpan<float> queries, int queryCount, string category,
        PriorityQueue<IndexHit, IndexHit>[] heaps, int limit)
    {
        // Per block: the rows to score, and the slot and row count of each product they belong to, in order.
        var rowNumbers = ArrayPool<int>.Shared.Rent(DotKernels.RowBlock);
        var slots = ArrayPool<int>.Shared.Rent(rowNumbers.Length);
        var counts = ArrayPool<int>.Shared.Rent(rowNumbers.Length);
        var scores = ArrayPool<float>.Shared.Rent(queryCount * rowNumbers.Length);
        var categories = _rows.Categories;
        var productCount = _rows.ProductCount;
        try
        {
            var next = 0;
            while (next < productCount)
            {
                var gathered = 0;
                var products = 0;
                for (; next < productCount; next++)
                {
                    // Categories are interned, so ordinal equality is reference equality here.
                    if (!ReferenceEquals(categories[next], category))
                    {
                        continue;
                    }

                    var rows = _rows.RowsOf(next);
                    if (gathered > 0 && gathered + rows.Length > rowNumbers.Length)
                    {
                        break;
                    }

                    if (rows.Length > rowNumbers.Length)
                    {
                        // A product with more images than a block: the block grows to hold it alone.
                        ArrayPool<int>.Shared.Return(rowNumbers);
                        ArrayPool<int>.Shared.Return(slots);
                        ArrayPool<int>.Shared.Return(counts);
                        ArrayPool<float>.Shared.Return(scores);
                        rowNumbers = ArrayPool<int>.Shared.Rent(rows.Length);
                        slots = ArrayPool<int>.Shared.Rent(rowNumbers.Length);
                        counts = ArrayPool<int>.Shared.Rent(rowNumbers.Length);
                        scores = ArrayPool<float>.Shared.Rent(queryCount * rowNumbers.Length);
                    }

                    rows.CopyTo(rowNumbers.AsSpan(gathered));
                    gathered += rows.Length;
                    slots[products] = next;
                    counts[products] = rows.Length;
                    products++;
                }

                if (gathered == 0)
                {
                    break;
                }

                DotKernels.DotBatch(queries, queryCount, _vectors.Values, rowNumbers.AsSpan(0, gathered), Dimension,
                    scores.AsSpan(0, queryCount * gathered));
                for (var q = 0; q < queryCount; q++)
                {
                    Fold(scores.AsSpan(q * gathered, gathered), slots.AsSpan(0, products), counts.AsSpan(0, products),
                        heaps[q], limit);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rowNumbers);
            ArrayPool<int>.Shared.Return(slots);
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>
    /// Offers each gathered product (slot <paramref name="slots"/>[p], owning the next <paramref name="counts"/>[p]
    /// scores) to the heap with its best score, lowest image first among equals.
    /// </summary>
    /// <remarks>
    /// Once the heap is full, a best score below the weakest kept cannot enter (it would lose on score before any
    /// tie-break), so it is turned away without reading the product at all; with 100 000 products and k = 20
    /// almost every product leaves here, and a batch of 64 queries folds 6.4 million of them per pass.
    /// </remarks>
    private void Fold(ReadOnlySpan<float> scores, ReadOnlySpan<int> slots, ReadOnlySpan<int> counts,
        PriorityQueue<IndexHit, IndexHit> heap, int limit)
    {
        var threshold = heap.Count < limit ? float.NegativeInfinity : heap.Peek().Score;

        // Once the heap is full most blocks hold no score that could enter: one vectorised maximum turns
        // the whole block away instead of visiting its products one by one.
        if (heap.Count == limit && TensorPrimitives.Max(scores) < threshold)
        {
            return;
        }

        // The best image is written out here and in Scan, not taken from ProductHits.BestImage (which Rescore
        // uses): a scorer struct in the int8 scan's loop cost it half its speed, and these loops are as hot.
        var ids = _rows.Ids;
        var at = 0;
        for (var p = 0; p < slots.Length; p++)
        {
            var imageCount = counts[p];
            var best = scores[at];
            var bestImage = 0;
            for (var image = 1; image < imageCount; image++)
            {
                if (scores[at + image] > best)
                {
                    best = scores[at + image];
                    bestImage = image;
                }
            }

            at += imageCount;
            if (best < threshold)
            {
                continue;
            }

            Offer(heap, limit, ids[slots[p]], bestImage, best, higherIsBetter: true);
            if (heap.Count == limit)
            {
                threshold = heap.Peek().Score;
            }
        }
    }

    /// <summary>
    /// Keeps the product if it beats the weakest hit kept. A score strictly worse than the root's cannot win
    /// any tie-break, so most products are turned away by one float comparison, before a hit is even built.
    /// </summary>
    private void Offer(PriorityQueue<IndexHit, IndexHit> heap, int limit, string productId, int image, float score,
        bool higherIsBetter)
    {
        if (heap.Count < limit)
        {
            var entry = new IndexHit(productId, image, score);
            heap.Enqueue(entry, entry);
            return;
        }

        var root = heap.Peek();
        if (DistanceMetrics.IsBetter(higherIsBetter, root.Score, score))
        {
            return;
        }

        var hit = new IndexHit(productId, image, score);
        if (DistanceMetrics.Compare(Metric, hit, root) < 0)
        {
            heap.DequeueEnqueue(hit, hit);
        }
    }

    /// <summary>
    /// One pass over the products. Each product is scored on all its rows first and offered to the heap
    /// once, with its best image: the heap therefore never holds two entries for one product, and a
    /// product's weaker images can never push another product out. Worked example, k = 2, cosine:
    /// <c>a</c> has images scoring [0.90, 0.95, 0.70], <c>b</c> scores [0.80], <c>c</c> [0.60].
    /// Offering per row would fill the heap with a/0.90 and a/0.95 and lose <c>b</c>; offering per
    /// product gives [a image 1 at 0.95, b image 0 at 0.80].
    /// </summary>
    /// <remarks>
    /// The heap is a min-heap under the worst-first order, capped at <paramref name="limit"/>: its root
    /// is the weakest hit kept, and a new product enters only by beating it.
    /// The category test is per product, so rows of other categories are never scored. Iterating
    /// products rather than rows costs little locality: a product's rows are written together and
    /// each row is still one contiguous read.
    /// </remarks>
    private void Scan<TScorer>(ReadOnlySpan<float> query, string? category,
        PriorityQueue<IndexHit, IndexHit> heap, int limit)
        where TScorer : struct, IRowScorer
    {
        var higherIsBetter = DistanceMetrics.HigherIsBetter(Metric);
        var block = _vectors.Values;
        var dimension = Dimension;
        var ids = _rows.Ids;
        var categories = _rows.Categories;
        var productCount = _rows.ProductCount;

        for (var slot = 0; slot < productCount; slot++)
        {
            // Categories are interned, so ordinal equality is reference equality here.
            if (category is not null && !ReferenceEquals(categories[slot], category))
            {
                continue;
            }

            var rows = _rows.RowsOf(slot);
            var best = TScorer.Score(query, block.Slice(rows[0] * dimension, dimension));
            var bestImage = 0;
            for (var image = 1; image < rows.Length; image++)
            {
                var score = TScorer.Score(query, block.Slice(rows[image] * dimension, dimension));
                if (DistanceMetrics.IsBetter(higherIsBetter, score, best))
                {
                    best = score;
                    bestImage = image;
                }
            }

            Offer(heap, limit, ids[slot], bestImage, best, higherIsBetter);
        }
    }

    /// <summary>Moves a row's vector into a hole left by a removal (the bookkeeping moves its owner).</summary>
    private void MoveRow(int from, int to) => RowSpan(from).CopyTo(RowSpan(to));

    /// <inheritdoc />
    IReadOnlyList<IndexHit> IVectorIndex.Search(ReadOnlySpan<float> query, int k, IndexQueryOptions options)
    {
        if (options.Filter is not { } filter)
        {
            return Search(query, k, options.Category);
        }

        // Every product's id is tested once; the ones that pass are scored exactly.
        var category = options.Category;
        return Rescore(query, Products
            .Where(product => (category is null || string.Equals(product.Category, category, StringComparison.Ordinal)) && filter(product.ProductId))
            .Select(product => product.ProductId).ToList(), k);
    }

    private Span<float> RowSpan(int row) => _vectors.Values.Slice(row * Dimension, Dimension);

    private void EnsureRowCapacity(long required) =>
        _rows.TryGrowRows(required, Dimension, Dimension, capacity => _vectors.Grow(capacity * Dimension, _rows.RowCount * Dimension));

    /// <summary>Hits of one product: each is built from its product's own Id instance, so identity decides.</summary>
    private sealed class SameProduct : IEqualityComparer<IndexHit>
    {
        public static readonly SameProduct Instance = new();

        public bool Equals(IndexHit x, IndexHit y) => ReferenceEquals(x.ProductId, y.ProductId);

        public int GetHashCode(IndexHit obj) => RuntimeHelpers.GetHashCode(obj.ProductId);
    }

    /// <summary>Scores one stored row against the query; a struct so each scan is specialised and inlined.</summary>
    private interface IRowScorer
    {
        static abstract float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row);
    }

    private readonly struct DotScorer : IRowScorer
    {
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row) => DotKernels.Dot(query, row);
    }

    private readonly struct EuclideanScorer : IRowScorer
    {
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row) =>
            TensorPrimitives.Distance(query, row);
    }

    private readonly struct ManhattanScorer : IRowScorer
    {
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row) =>
            DistanceMetrics.ManhattanDistance(query, row);
    }

    /// <summary>
    /// The images of one product (<see cref="Rows"/>, set per product), each row scored where it lies in the block.
    /// Made once per query, so the scan keeps the block in hand.
    /// </summary>
    private ref struct RowScores<TScorer>(ReadOnlySpan<float> query, ReadOnlySpan<float> block, int dimension)
        : IImageScores
        where TScorer : struct, IRowScorer
    {
        private readonly ReadOnlySpan<float> _query = query;
        private readonly ReadOnlySpan<float> _block = block;

        public ReadOnlySpan<int> Rows = [];

        public readonly float Score(int image) =>
            TScorer.Score(_query, _block.Slice(Rows[image] * dimension, dimension));
    }
}
