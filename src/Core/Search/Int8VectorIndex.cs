using System.Buffers;
using System.Numerics.Tensors;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Search over int8-quantised image vectors with exact re-ranking: the same contract as
/// <see cref="FlatVectorIndex"/> (one result per product, its best image; category filtered inside the
/// scan; best first, ties by ordinal id) at about a quarter of the bytes read per scanned vector.
/// Not thread-safe for writes: the owning shard grain serialises them. Searches may run concurrently with
/// each other, never with a write.
/// </summary>
/// <remarks>
/// <para>
/// A search runs in two passes. The scan scores every qualifying image with an integer dot product of int8
/// codes (<see cref="Int8Dot"/>, SIMD) and keeps the best <c>rerank × k</c> products by that approximate
/// score. The re-rank then scores every image of those candidates exactly, from the full-precision vectors
/// kept beside the codes, with the very arithmetic of <see cref="FlatVectorIndex"/>. So the hits and scores
/// returned are exact; only a product that the approximation pushed below the candidate cut can be missed,
/// and once <c>rerank × k</c> reaches <see cref="ProductCount"/> the answer is exactly the flat one.
/// </para>
/// <para>
/// Quantisation is symmetric and per vector (<see cref="Int8Quantizer"/>): <c>x ≈ sₓ·cₓ</c>, and
/// <c>x·q ≈ sₓ·s_q·(cₓ·c_q)</c>. Cosine quantises the L2-normalised vector; dot product the vector as given;
/// L2 as well, using <c>‖x − q‖² = ‖x‖² + ‖q‖² − 2·x·q</c> with <c>‖x‖²</c> kept exactly per row. One scale per
/// vector rather than one per dimension, because this index is written one upsert at a time with no
/// training step: a per-vector scale is fixed by the vector alone, never goes stale as the catalog changes,
/// and follows vectors of very different lengths (which dot-product catalogs rely on). Per-dimension scales
/// would have to be fitted on a sample and clip every later vector that exceeds it. The price, a coarser grid
/// on dimensions of small range, is what the exact re-rank pays back.
/// </para>
/// <para>
/// Memory per image vector of dimension d (besides 8 bytes of row bookkeeping, as in the flat index):
/// d code bytes + 4 (scale) + 4 more for L2 (squared norm), plus 4d when full precision is kept.
/// For d = 512: 516 bytes (520 for L2) without floats, 2,564 (2,568) with them, against 2,048 for
/// <see cref="FlatVectorIndex"/>. A scan reads only the codes: 516 bytes per vector instead of 2,048; the
/// floats are touched for <c>rerank × k</c> products per query. Without floats
/// (<c>keepFullPrecision: false</c>) there is no re-rank and scores are the int8 approximations.
/// </para>
/// </remarks>
public sealed class Int8VectorIndex : IVectorIndex
{
    /// <summary>Candidates re-ranked exactly per result wanted, when a search does not say. Default: 4.</summary>
    public const int DefaultRerank = 4;

    // Above this many values the per-query buffers come from the array pool instead of the stack.
    private const int StackQueryLimit = 1024;

    // Layout, as in FlatVectorIndex: row r is _codes[r·Dimension ..) with scale _scales[r] (and, for L2,
    // squared norm _squaredNorms[r]; when kept, full-precision vector _vectors[r·Dimension ..)). Its owner is in the
    // shared bookkeeping, dense: removal moves the last row into each hole.
    private readonly ProductRows _rows;
    private sbyte[] _codes = [];
    private float[] _scales = [];
    private float[] _squaredNorms = [];
    private float[] _vectors = [];

    /// <param name="dimension">Length of every vector: 1 to 131,072 (so that an int8 dot product fits in 32 bits).</param>
    /// <param name="metric">Cosine, dot product or L2. L1 has no form that per-vector scales can compute in integers.</param>
    /// <param name="keepFullPrecision">
    /// Keep the float vectors beside the codes for the exact re-rank. Default: true. Without them searches
    /// return int8-approximated scores and may order near-equal products differently from exact search.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is out of range or the metric is not supported.</exception>
    public Int8VectorIndex(int dimension, DistanceMetric metric, bool keepFullPrecision = true)
    {
        if (dimension is < 1 or > Int8Dot.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension,
                $"The dimension must be between 1 and {Int8Dot.MaxLength}.");
        }

        if (metric is not (DistanceMetric.Cosine or DistanceMetric.Dot or DistanceMetric.L2))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric,
                "The int8 index supports cosine, dot and l2; use FlatVectorIndex for other metrics.");
        }

        Dimension = dimension;
        Metric = metric;
        KeepsFullPrecision = keepFullPrecision;
        _rows = new ProductRows(MoveRow);
    }

    /// <summary>Length of every vector this index holds.</summary>
    public int Dimension { get; }

    /// <summary>How vectors are compared, and so which scores come back and which way is better.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>Whether float vectors are kept for the exact re-rank.</summary>
    public bool KeepsFullPrecision { get; }

    /// <summary>
    /// Bytes stored per image vector, bookkeeping aside: codes, scale, squared norm (L2) and, when kept,
    /// the floats. See the class remarks for the breakdown.
    /// </summary>
    public int BytesPerVector =>
        Dimension + sizeof(float) + (Metric == DistanceMetric.L2 ? sizeof(float) : 0) +
        (KeepsFullPrecision ? Dimension * sizeof(float) : 0);

    /// <summary>
    /// Estimated bytes held: codes, scales, squared norms, floats (by capacity) and the bookkeeping (see
    /// <see cref="IVectorIndex.MemoryBytes"/>).
    /// </summary>
    public long MemoryBytes =>
        _codes.LongLength + (sizeof(float) * (_scales.LongLength + _squaredNorms.LongLength + _vectors.LongLength)) +
        _rows.MemoryBytes;

    /// <summary>Number of products held.</summary>
    public int ProductCount => _rows.ProductCount;

    /// <summary>Number of image vectors held.</summary>
    public int ImageCount => _rows.RowCount;

    /// <summary>Always 0: a removed product's rows are dropped at once.</summary>
    public int TombstoneCount => 0;

    /// <summary>Every product held, in no particular order. Fails if the index is written to meanwhile.</summary>
    public IEnumerable<IndexedProduct> Products => _rows.Enumerate();

    /// <summary>Whether a product with this id (ordinal) is held.</summary>
    public bool Contains(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        return _rows.Contains(productId);
    }

    /// <summary>
    /// Adds or replaces a product: <paramref name="vectors"/> holds its images' vectors,
    /// <c>imageCount × Dimension</c> floats; any previous rows of the product are dropped.
    /// The index is unchanged when this throws.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No vectors, a length that is not a multiple of <see cref="Dimension"/>, or a NaN, infinite or
    /// overflowing value.
    /// </exception>
    public void Upsert(string productId, string? category, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(productId);
        var imageCount = ProductVectors.Validate(productId, vectors, Dimension);

        var existingRows = _rows.TryGetSlot(productId, out var slot) ? _rows.ImageCountOf(slot) : 0;

        // Grow first: after this point nothing can fail, so a throw never leaves half a product behind.
        EnsureRowCapacity((long)_rows.RowCount - existingRows + imageCount);
        float[]? rented = null;
        var scratch = Dimension <= StackQueryLimit
            ? stackalloc float[Dimension]
            : (rented = ArrayPool<float>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        try
        {
            slot = _rows.Place(productId, category, imageCount, out _);
            for (var image = 0; image < imageCount; image++)
            {
                var row = _rows.AppendRow(slot, image);
                var vector = scratch;
                vectors.Slice(image * Dimension, Dimension).CopyTo(vector);
                if (Metric == DistanceMetric.Cosine)
                {
                    ProductVectors.NormaliseInPlace(vector);
                }

                _scales[row] = Int8Quantizer.Quantize(vector, CodeSpan(row));
                if (Metric == DistanceMetric.L2)
                {
                    _squaredNorms[row] = TensorPrimitives.SumOfSquares<float>(vector);
                }

                if (KeepsFullPrecision)
                {
                    vector.CopyTo(VectorSpan(row));
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Removes a product; false if it was not there.</summary>
    public bool Remove(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        return _rows.Remove(productId, out _);
    }

    /// <summary>
    /// Top <paramref name="k"/> products, best first, ties broken by ordinal product id, as
    /// <see cref="FlatVectorIndex.Search"/> would rank them among the <paramref name="rerank"/> × k products
    /// that the int8 scan ranks best. <paramref name="category"/>, when given, is applied inside the scan
    /// (exact, ordinal match). Each product appears at most once, with its best image (lowest image index
    /// among equal scores).
    /// </summary>
    /// <param name="query">The query vector, <see cref="Dimension"/> values.</param>
    /// <param name="k">Results wanted; at least 1.</param>
    /// <param name="category">Only products of this category; null for all.</param>
    /// <param name="rerank">
    /// Candidates per result re-ranked exactly; at least 1. Larger is slower and closer to exact.
    /// Ignored when full precision is not kept. Default: <see cref="DefaultRerank"/>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="rerank"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// The query's length is not <see cref="Dimension"/>, or it holds a NaN, infinite or overflowing value.
    /// </exception>
    public IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query, int k, string? category = null,
        int rerank = DefaultRerank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rerank, 1);
        ProductVectors.ValidateQuery(query, Dimension);

        string? wanted = null;
        if (category is not null && !_rows.TryGetCategory(category, out wanted))
        {
            return [];
        }

        var limit = Math.Min(k, _rows.ProductCount);
        if (limit == 0)
        {
            return [];
        }

        var candidates = KeepsFullPrecision ? (int)Math.Min(_rows.ProductCount, (long)k * rerank) : limit;

        float[]? rentedFloats = null;
        sbyte[]? rentedCodes = null;
        var exactQuery = Dimension <= StackQueryLimit
            ? stackalloc float[Dimension]
            : (rentedFloats = ArrayPool<float>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        var queryCodes = Dimension <= StackQueryLimit
            ? stackalloc sbyte[Dimension]
            : (rentedCodes = ArrayPool<sbyte>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        try
        {
            query.CopyTo(exactQuery);
            if (Metric == DistanceMetric.Cosine)
            {
                ProductVectors.NormaliseInPlace(exactQuery);
            }

            var queryScale = Int8Quantizer.Quantize(exactQuery, queryCodes);
            var querySquaredNorm = Metric == DistanceMetric.L2 ? TensorPrimitives.SumOfSquares<float>(exactQuery) : 0f;
            var heap = new PriorityQueue<int, IndexHit>(candidates, DistanceMetrics.WorstFirst(Metric));
            Scan(queryCodes, queryScale, querySquaredNorm, wanted, heap, candidates);

            return KeepsFullPrecision ? Rerank(exactQuery, heap, limit) : Approximate(heap);
        }
        finally
        {
            if (rentedFloats is not null)
            {
                ArrayPool<float>.Shared.Return(rentedFloats);
            }

            if (rentedCodes is not null)
            {
                ArrayPool<sbyte>.Shared.Return(rentedCodes);
            }
        }
    }

    /// <summary>
    /// The int8 pass: each product is scored on all its rows and offered to the heap once, with its best
    /// image, exactly like the flat scan (see <see cref="FlatVectorIndex"/>), but with approximate scores.
    /// Under L2 the heap ranks squared distances, which order the same way and save a square root per row.
    /// The heap's elements are product slots; its root is the weakest candidate kept.
    /// </summary>
    private void Scan(ReadOnlySpan<sbyte> queryCodes, float queryScale, float querySquaredNorm, string? category,
        PriorityQueue<int, IndexHit> heap, int limit)
    {
        var higherIsBetter = DistanceMetrics.HigherIsBetter(Metric);
        var l2 = Metric == DistanceMetric.L2;
        var codes = _codes.AsSpan();
        var scales = _scales;
        var squaredNorms = _squaredNorms;
        var dimension = Dimension;
        var ids = _rows.Ids;
        var categories = _rows.Categories;
        var productCount = _rows.ProductCount;

        for (var slot = 0; slot < productCount; slot++)
        {
            if (category is not null && !ReferenceEquals(categories[slot], category))
            {
                continue;
            }

            // The best image written out rather than through ProductHits.BestImage: a scorer struct carrying the
            // codes, scales, norms and query made this loop about 1.5× slower (Int8Benchmarks, 100k × 512), as
            // the JIT kept its fields in memory instead of registers. Same rule: the first strictly better wins.
            var rows = _rows.RowsOf(slot);
            var best = 0f;
            var bestImage = 0;
            for (var image = 0; image < rows.Length; image++)
            {
                var row = rows[image];
                var dot = scales[row] * queryScale * Int8Dot.Dot(queryCodes, codes.Slice(row * dimension, dimension));
                var score = l2 ? squaredNorms[row] + querySquaredNorm - (2f * dot) : dot;
                if (image == 0 || DistanceMetrics.IsBetter(higherIsBetter, score, best))
                {
                    best = score;
                    bestImage = image;
                }
            }

            var hit = new IndexHit(ids[slot], bestImage, best);
            if (heap.Count < limit)
            {
                heap.Enqueue(slot, hit);
            }
            else if (heap.TryPeek(out _, out var weakest) && DistanceMetrics.Compare(Metric, hit, weakest) < 0)
            {
                heap.DequeueEnqueue(slot, hit);
            }
        }
    }

    /// <summary>
    /// Scores every image of every candidate exactly, with the flat index's arithmetic (so equal inputs give
    /// bit-identical scores), and returns the best <paramref name="limit"/> in the shared order.
    /// </summary>
    private IndexHit[] Rerank(ReadOnlySpan<float> exactQuery, PriorityQueue<int, IndexHit> heap, int limit)
    {
        var higherIsBetter = DistanceMetrics.HigherIsBetter(Metric);
        var exact = new IndexHit[heap.Count];
        var count = 0;
        var images = new ExactScores(this, exactQuery);
        while (heap.TryDequeue(out var slot, out _))
        {
            images.Rows = _rows.RowsOf(slot);
            var best = ProductHits.BestImage(ref images, images.Rows.Length, higherIsBetter, out var bestImage);
            exact[count++] = new IndexHit(_rows.Ids[slot], bestImage, best);
        }

        Array.Sort(exact, DistanceMetrics.BestFirst(Metric));

        // Fewer candidates than the limit when the category leaves fewer products.
        return exact.Length <= limit ? exact : exact[..limit];
    }

    private float ExactScore(ReadOnlySpan<float> exactQuery, int row) => Metric == DistanceMetric.L2
        ? TensorPrimitives.Distance(exactQuery, VectorSpan(row))
        : DotKernels.Dot(exactQuery, VectorSpan(row));

    /// <summary>The heap's hits best first, with L2's squared approximations turned into distances.</summary>
    private IndexHit[] Approximate(PriorityQueue<int, IndexHit> heap)
    {
        var hits = ProductHits.DrainBestFirst(heap);
        if (Metric == DistanceMetric.L2)
        {
            for (var i = 0; i < hits.Length; i++)
            {
                hits[i] = hits[i] with { Score = MathF.Sqrt(MathF.Max(0f, hits[i].Score)) };
            }
        }

        return hits;
    }

    /// <summary>Moves a row's codes, scale, norm and floats into a hole left by a removal (the bookkeeping moves its owner).</summary>
    private void MoveRow(int from, int to)
    {
        CodeSpan(from).CopyTo(CodeSpan(to));
        _scales[to] = _scales[from];
        if (Metric == DistanceMetric.L2)
        {
            _squaredNorms[to] = _squaredNorms[from];
        }

        if (KeepsFullPrecision)
        {
            VectorSpan(from).CopyTo(VectorSpan(to));
        }
    }

    private Span<sbyte> CodeSpan(int row) => _codes.AsSpan(row * Dimension, Dimension);

    private Span<float> VectorSpan(int row) => _vectors.AsSpan(row * Dimension, Dimension);

    private void EnsureRowCapacity(long required) =>
        _rows.TryGrowRows(required, Dimension, Dimension, GrowRowArrays);

    private void GrowRowArrays(int capacity)
    {
        var rowCount = _rows.RowCount;
        var codes = GC.AllocateUninitializedArray<sbyte>(capacity * Dimension);
        _codes.AsSpan(0, rowCount * Dimension).CopyTo(codes);
        _codes = codes;
        Array.Resize(ref _scales, capacity);
        if (Metric == DistanceMetric.L2)
        {
            Array.Resize(ref _squaredNorms, capacity);
        }

        if (KeepsFullPrecision)
        {
            var vectors = GC.AllocateUninitializedArray<float>(capacity * Dimension);
            _vectors.AsSpan(0, rowCount * Dimension).CopyTo(vectors);
            _vectors = vectors;
        }
    }

    /// <inheritdoc />
    IReadOnlyList<IndexHit> IVectorIndex.Search(ReadOnlySpan<float> query, int k, IndexQueryOptions options) =>
        options.Filter is null
            ? Search(query, k, options.Category)
            : throw new NotSupportedException("The int8 scan has no row filter; filter with a flat or HNSW index.");

    /// <summary>Holds nothing outside the managed heap.</summary>
    public void Dispose()
    {
    }

    /// <summary>The images of one product (<see cref="Rows"/>, set per product) scored exactly, from the floats.</summary>
    private ref struct ExactScores(Int8VectorIndex index, ReadOnlySpan<float> exactQuery) : IImageScores
    {
        private readonly ReadOnlySpan<float> _exactQuery = exactQuery;

        public ReadOnlySpan<int> Rows = [];

        public readonly float Score(int image) => index.ExactScore(_exactQuery, Rows[image]);
    }
}
