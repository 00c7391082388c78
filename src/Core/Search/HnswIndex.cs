using System.Buffers;
using System.Runtime.InteropServices;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Approximate search over image vectors with a hierarchical navigable small-world graph (Malkov and
/// Yashunin, 2016): a stack of proximity graphs, each level a random 1/M-ish sample of the one below, searched
/// greedily from the top. Product semantics match <see cref="FlatVectorIndex"/>: a product owns one or more
/// image rows and a search returns each product once, with its best image.
/// Not thread-safe for writes; searches may run concurrently with each other, never with a write.
/// </summary>
/// <remarks>
/// <para>
/// Vectors live in one contiguous block (L2-normalised for <see cref="DistanceMetric.Cosine"/>). Inside the graph
/// every metric is a distance where lower is better: −dot for cosine and dot, Euclidean and Manhattan distance
/// as they are. Reported scores are in the metric's own terms and equal <see cref="FlatVectorIndex"/>'s for the
/// same row.
/// </para>
/// <para>
/// Rows are never moved or unlinked. Removing or replacing a product tombstones its rows: they still route
/// searches but never appear in results. <see cref="TombstoneCount"/> tells the owner when a rebuild pays off.
/// </para>
/// <para>
/// Everything is deterministic: a row's level is drawn from a hash of (seed, row number), not from a stateful
/// generator, so the same upserts in the same order build the same graph, also after <see cref="Load"/>.
/// The exception is <see cref="UpsertMany"/> on several threads, whose edges depend on how the threads interleave.
/// </para>
/// </remarks>
public sealed partial class HnswIndex : IPersistentVectorIndex
{
    /// <summary>Candidates kept per query at level 0 unless the caller says otherwise. Default: 64.</summary>
    public const int DefaultEf = 64;

    private const int StackQueryLimit = 1024;
    private const int MaxLevel = 30;
    private const int RowLockStripes = 4096;

    private readonly object _graphLock = new();
    private readonly object[] _rowLocks = [.. Enumerable.Range(0, RowLockStripes).Select(_ => new object())];

    // Set while UpsertMany links rows on several threads: neighbour lists are then read under their row's lock.
    private volatile bool _concurrentBuild;

    // Products, their rows and each row's owner, tombstoning: rows never move, because links name them by number. A
    // removed or replaced product's rows keep their place with no owner (and _deleted set).
    private readonly ProductRows _rows = new(moveRow: null);

    // Rows of each category, live and tombstoned, and how many of them are live: the exact fallback scans
    // the list, the selectivity test reads the count.
    private readonly Dictionary<string, List<int>> _rowsByCategory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _liveRowsByCategory = new(StringComparer.Ordinal);

    // Row r: vector _vectors[r·Dimension ..], owner and image in _rows, level _rowLevel[r].
    // A neighbour list is element 0 the count, then the neighbours. Level 0 (every row's, 2M long) lives in one
    // flat block, _level0Links[r·Level0Stride ..], so a search reads a row's list without chasing pointers;
    // _upperLinks[r][l − 1] is r's list at level l ≥ 1, null for the ~1 − 1/M rows that have only level 0.
    private float[] _vectors = [];

    // With HnswVectors.Int8 instead of _vectors: row r's codes _codes[r·Dimension ..] and its scale _scales[r].
    private sbyte[] _codes = [];
    private float[] _scales = [];
    private int[] _rowLevel = [];
    private bool[] _deleted = [];
    private int[] _level0Links = [];
    private int[]?[] _upperLinks = [];
    private int _tombstoneCount;

    // Ints in all upper-level neighbour lists, and how many such lists: kept as rows get their links, for the
    // memory figures, which would otherwise walk every row.
    private long _upperLinkInts;
    private int _upperLinkLists;
    private int _entryPoint = -1;
    private int _topLevel = -1;

    /// <param name="dimension">Length of every vector; at least 1.</param>
    /// <param name="metric">How vectors are compared.</param>
    /// <param name="options">Graph parameters; null for the defaults.</param>
    public HnswIndex(int dimension, DistanceMetric metric, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric.");
        }

        options ??= new HnswOptions();
        options.Validate();
        if (options.Vectors == HnswVectors.Int8 && metric is not (DistanceMetric.Cosine or DistanceMetric.Dot))
        {
            throw new ArgumentException(
                $"An HNSW index of int8 vectors compares them by dot product; it supports cosine and dot, not {metric}.", nameof(options));
        }

        if (options.Vectors == HnswVectors.Int8 && dimension > Int8Dot.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension,
                $"An HNSW index of int8 vectors holds at most {Int8Dot.MaxLength} values per vector.");
        }
        Dimension = dimension;
        Metric = metric;
        Options = options;
        LevelMultiplier = 1.0 / Math.Log(options.M);
    }

    /// <summary>Length of every vector this index holds.</summary>
    public int Dimension { get; }

    /// <summary>How vectors are compared.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>The graph parameters.</summary>
    public HnswOptions Options { get; }

    /// <summary>mL = 1 / ln M: a row reaches level l with probability M^−l.</summary>
    public double LevelMultiplier { get; }

    /// <summary>Number of live products.</summary>
    public int ProductCount => _rows.ProductCount;

    /// <summary>Number of live image vectors.</summary>
    public int ImageCount => _rows.LiveRowCount;

    /// <summary>
    /// Rows of removed or replaced products still in the graph. They cost memory and search time but never
    /// appear in results; rebuild when they are a large share of <see cref="ImageCount"/>.
    /// </summary>
    public int TombstoneCount => _tombstoneCount;

    /// <summary>Bytes held per row on average: the vector plus its neighbour lists.</summary>
    public int BytesPerVector
    {
        get
        {
            var vectorBytes = StoresInt8 ? Dimension + sizeof(float) : Dimension * sizeof(float);
            var rowCount = _rows.RowCount;
            if (rowCount == 0)
            {
                return vectorBytes;
            }

            var linkBytes = (((long)rowCount * Level0Stride) + _upperLinkInts) * sizeof(int);
            return vectorBytes + (int)(linkBytes / rowCount);
        }
    }

    /// <summary>
    /// Estimated bytes held (see <see cref="IVectorIndex.MemoryBytes"/>): vectors or codes and scales, levels,
    /// tombstone marks and neighbour lists (by capacity; upper lists as allocated), the per-category row lists and
    /// the product bookkeeping. Tombstones count until a rebuild drops them.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            const int ArrayHeaderBytes = 24;
            var bytes = _codes.LongLength + (sizeof(float) * (_scales.LongLength + _vectors.LongLength)) +
                (sizeof(int) * (_rowLevel.LongLength + _level0Links.LongLength + _upperLinkInts)) + _deleted.LongLength +
                (IntPtr.Size * _upperLinks.LongLength) + ((long)ArrayHeaderBytes * _upperLinkLists);
            foreach (var rows in _rowsByCategory.Values)
            {
                bytes += sizeof(int) * (long)rows.Capacity;
            }

            return bytes + _rows.MemoryBytes;
        }
    }

    /// <summary>Whether a live product with this id (ordinal) is held.</summary>
    public bool Contains(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        return _rows.Contains(productId);
    }

    /// <summary>
    /// Adds or replaces a product: <paramref name="vectors"/> holds its images' vectors,
    /// <c>imageCount × Dimension</c> floats. A replaced product's old rows become tombstones.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No vectors, a length that is not a multiple of <see cref="Dimension"/>, or a NaN, infinite or
    /// overflowing value.
    /// </exception>
    public void Upsert(string productId, string? category, ReadOnlySpan<float> vectors)
    {
        ArgumentNullException.ThrowIfNull(productId);
        var imageCount = ProductVectors.Validate(productId, vectors, Dimension);
        EnsureRowCapacity((long)_rows.RowCount + imageCount);
        var first = AddRows(productId, category, vectors, imageCount);
        for (var row = first; row < _rows.RowCount; row++)
        {
            Insert(row);
        }
    }

    /// <summary>
    /// Adds or replaces many products, linking their rows into the graph on <paramref name="threads"/> threads:
    /// the same products as <see cref="Upsert"/> one after another (a later entry for the same id replaces an
    /// earlier one), built several times faster on several cores. The index is unchanged when this throws.
    /// </summary>
    /// <remarks>
    /// Rows are stored and numbered first, on the calling thread, in the order given; then worker threads take
    /// rows in that order and link each one as <see cref="Upsert"/> would, taking a lock on one row's neighbour
    /// lists at a time (fine-grained locking, as hnswlib does) and the graph-wide lock only for a row that becomes
    /// the new top level. With one thread the graph is exactly the one <see cref="Upsert"/> builds; with more it
    /// depends on how the threads interleave, so two builds of the same data may differ edge by edge while their
    /// recall does not.
    /// </remarks>
    /// <param name="products">Each product's id, category and <c>imageCount × Dimension</c> floats.</param>
    /// <param name="threads">Threads linking rows; at least 1. <see cref="Environment.ProcessorCount"/> suits a lone build.</param>
    /// <exception cref="ArgumentException">A product has no vectors, a ragged length or an unscorable value (the
    /// message names it).</exception>
    public void UpsertMany(IReadOnlyList<ProductToIndex> products, int threads)
    {
        ArgumentNullException.ThrowIfNull(products);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        long rows = 0;
        foreach (var product in products)
        {
            ArgumentNullException.ThrowIfNull(product.ProductId, nameof(products));
            rows += ProductVectors.Validate(product.ProductId, product.Vectors.Span, Dimension);
        }

        EnsureRowCapacity(_rows.RowCount + rows);
        var first = _rows.RowCount;
        foreach (var product in products)
        {
            AddRows(product.ProductId, product.Category, product.Vectors.Span, product.Vectors.Length / Dimension);
        }

        if (threads == 1 || _rows.RowCount - first < 2)
        {
            for (var row = first; row < _rows.RowCount; row++)
            {
                Insert(row);
            }

            return;
        }

        var next = first - 1;
        var end = _rows.RowCount;
        Exception? failure = null;
        void Work()
        {
            try
            {
                int row;
                while ((row = Interlocked.Increment(ref next)) < end)
                {
                    Insert(row);
                }
            }
            catch (Exception ex)
            {
                // Only a bug lands here (the input was validated); stop the others and rethrow it.
                Interlocked.CompareExchange(ref failure, ex, null);
                Interlocked.Exchange(ref next, end);
            }
        }

        _concurrentBuild = true;
        try
        {
            var workers = Enumerable.Range(0, threads - 1)
                .Select(i => new Thread(Work) { IsBackground = true, Name = $"hnsw-build-{i}" })
                .ToArray();
            foreach (var worker in workers)
            {
                worker.Start();
            }

            Work();
            foreach (var worker in workers)
            {
                worker.Join();
            }
        }
        finally
        {
            _concurrentBuild = false;
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Stores a validated product's rows (tombstoning the rows of a product it replaces), draws each row's level and
    /// gives it empty neighbour lists; linking them into the graph is left to <see cref="Insert"/>.
    /// </summary>
    /// <returns>The first new row; the new rows run up to the row count.</returns>
    private int AddRows(string productId, string? category, ReadOnlySpan<float> vectors, int imageCount)
    {
        category = Intern(category);
        var slot = _rows.Place(productId, category, imageCount, out var replaced);
        if (replaced is not null)
        {
            Tombstone(replaced);
        }

        var first = _rows.RowCount;
        float[]? rented = null;
        var scratch = !StoresInt8 ? default
            : Dimension <= StackQueryLimit ? stackalloc float[Dimension]
            : (rented = ArrayPool<float>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        for (var image = 0; image < imageCount; image++)
        {
            var row = _rows.AppendRow(slot, image);
            var destination = StoresInt8 ? scratch : _vectors.AsSpan(row * Dimension, Dimension);
            vectors.Slice(image * Dimension, Dimension).CopyTo(destination);
            if (Metric == DistanceMetric.Cosine)
            {
                ProductVectors.NormaliseInPlace(destination);
            }

            if (StoresInt8)
            {
                _scales[row] = Int8Quantizer.Quantize(destination, _codes.AsSpan(row * Dimension, Dimension));
            }

            if (category is not null)
            {
                _rowsByCategory[category].Add(row);
                _liveRowsByCategory[category]++;
            }

            AllocateLinks(row, DrawLevel(row));
        }

        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return first;
    }

    /// <summary>Removes a product by tombstoning its rows; false if it was not there.</summary>
    public bool Remove(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        if (!_rows.Remove(productId, out var product))
        {
            return false;
        }

        Tombstone(product);
        return true;
    }

    /// <summary>
    /// About the top <paramref name="k"/> products, best first, ties broken by ordinal product id; each product
    /// once, with its best image among the rows the search reached.
    /// </summary>
    /// <param name="query">Query vector of <see cref="Dimension"/> values.</param>
    /// <param name="k">Products wanted; at least 1.</param>
    /// <param name="category">When given, only products of this category (ordinal) are returned. When fewer than
    /// <see cref="HnswOptions.ExactFilterFraction"/> of the live rows match, the matching rows are scanned exactly;
    /// otherwise the graph is walked through every row and only matching ones are kept.</param>
    /// <param name="ef">Rows kept as candidates at level 0; raised to <c>k ×</c> the mean images per product
    /// when that is larger, so that deduplication by product still leaves k. Higher is slower and more exact.</param>
    /// <param name="filter">With a category: scan its rows or walk the graph, or decide by cost (the default,
    /// <see cref="FilterCost"/>). Ignored without a category.</param>
    /// <param name="predicate">When given, only products whose id passes are returned: tested on every row the
    /// walk or the category scan reaches, so the top k is cut from passing rows only. Non-passing rows still route
    /// the walk.</param>
    public IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query, int k, string? category = null, int ef = DefaultEf,
        HnswFilterStrategy filter = HnswFilterStrategy.Auto, Func<string, bool>? predicate = null)
    {
        if (!Enum.IsDefined(filter))
        {
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown filter strategy.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        ProductVectors.ValidateQuery(query, Dimension);

        string? wanted = null;
        if (category is not null && !_rows.TryGetCategory(category, out wanted))
        {
            return [];
        }

        if (_rows.ProductCount == 0)
        {
            return [];
        }

        float[]? rented = null;
        var unit = Dimension <= StackQueryLimit
            ? stackalloc float[Dimension]
            : (rented = ArrayPool<float>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
        try
        {
            query.CopyTo(unit);
            if (Metric == DistanceMetric.Cosine)
            {
                ProductVectors.NormaliseInPlace(unit);
            }

            var imagesPerProduct = (ImageCount + _rows.ProductCount - 1) / _rows.ProductCount;
            var width = Math.Max(ef, (int)Math.Min(int.MaxValue, (long)k * imagesPerProduct));
            if (wanted is not null && (filter == HnswFilterStrategy.Scan || (filter == HnswFilterStrategy.Auto && IsSelective(wanted, width))))
            {
                return BestPerProduct(ExactRows(unit, wanted, k, predicate), k);
            }

            List<(float Distance, int Row)> rows;
            if (StoresInt8)
            {
                sbyte[]? rentedCodes = null;
                var codes = Dimension <= StackQueryLimit
                    ? stackalloc sbyte[Dimension]
                    : (rentedCodes = ArrayPool<sbyte>.Shared.Rent(Dimension)).AsSpan(0, Dimension);
                try
                {
                    var scale = Int8Quantizer.Quantize(unit, codes);
                    rows = SearchGraph(new WalkQuery(default, codes, scale), width, wanted, predicate);
                }
                finally
                {
                    if (rentedCodes is not null)
                    {
                        ArrayPool<sbyte>.Shared.Return(rentedCodes);
                    }
                }
            }
            else
            {
                rows = SearchGraph(new WalkQuery(unit, default, 0f), width, wanted, predicate);
            }

            // The walk's distances differ from the exact scan's in the last bits; score the few rows found
            // the way FlatVectorIndex does, so both indexes report the same score for a row.
            for (var i = 0; i < rows.Count; i++)
            {
                rows[i] = (ScoreDistance(unit, rows[i].Row), rows[i].Row);
            }

            return BestPerProduct(rows, k);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether scanning the category's live rows exactly costs less than a walk of this width (<see cref="FilterCost"/>).</summary>
    private bool IsSelective(string category, int width) =>
        FilterCost.PreferScan(_liveRowsByCategory[category], ImageCount, width);

    /// <summary>
    /// The category's live rows scored exactly, cut to those that can matter: sorted nearest first, every row up to
    /// the one that brings the k-th distinct product, and every row tied with it. A product whose best row lies
    /// beyond that distance cannot be among the top k, so <see cref="BestPerProduct"/> gets the same answer from
    /// these few rows as from all of them, without a dictionary entry and a hit for each of thousands of products.
    /// </summary>
    private List<(float Distance, int Row)> ExactRows(ReadOnlySpan<float> query, string category, int k, Func<string, bool>? predicate)
    {
        var live = _liveRowsByCategory[category];
        var distances = ArrayPool<float>.Shared.Rent(live);
        var rows = ArrayPool<int>.Shared.Rent(live);
        try
        {
            // The category's rows lie scattered through the block: fetching the next one while this one is
            // scored keeps the scan from waiting on memory at every row.
            var count = 0;
            var categoryRows = CollectionsMarshal.AsSpan(_rowsByCategory[category]);
            for (var i = 0; i < categoryRows.Length; i++)
            {
                if (i + 1 < categoryRows.Length)
                {
                    Prefetch(categoryRows[i + 1]);
                }

                var row = categoryRows[i];
                if (!_deleted[row] && (predicate is null || predicate(_rows.Ids[_rows.RowProduct[row]])))
                {
                    distances[count] = ScoreDistance(query, row);
                    rows[count++] = row;
                }
            }

            Array.Sort(distances, rows, 0, count);
            var products = new HashSet<int>();
            var rowProduct = _rows.RowProduct;
            var found = new List<(float Distance, int Row)>(Math.Min(count, 2 * k));
            var boundary = float.PositiveInfinity;
            for (var i = 0; i < count && !(distances[i] > boundary); i++)
            {
                found.Add((distances[i], rows[i]));
                if (products.Add(rowProduct[rows[i]]) && products.Count == k)
                {
                    boundary = distances[i];
                }
            }

            return found;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(distances);
            ArrayPool<int>.Shared.Return(rows);
        }
    }

    /// <summary>
    /// One hit per product from scored rows: the product's best row (lowest image index among equal scores),
    /// ordered by <see cref="DistanceMetrics.Compare"/>, first <paramref name="k"/>.
    /// </summary>
    private List<IndexHit> BestPerProduct(List<(float Distance, int Row)> rows, int k)
    {
        var best = new Dictionary<int, IndexHit>();
        foreach (var (distance, row) in rows)
        {
            var slot = _rows.RowProduct[row];
            var hit = new IndexHit(_rows.Ids[slot], _rows.RowImage[row], ToScore(distance));
            if (!best.TryGetValue(slot, out var kept) || DistanceMetrics.Compare(Metric, hit, kept) < 0)
            {
                best[slot] = hit;
            }
        }

        var hits = best.Values.ToList();
        ProductHits.SortAndTake(hits, k, Metric);
        return hits;
    }

    private float ToScore(float distance) =>
        Metric is DistanceMetric.Cosine or DistanceMetric.Dot ? -distance : distance;

    private void Tombstone(DroppedProduct product)
    {
        foreach (var row in product.Rows)
        {
            _deleted[row] = true;
            _tombstoneCount++;
            if (product.Category is not null)
            {
                _liveRowsByCategory[product.Category]--;
            }
        }
    }

    /// <summary>
    /// ⌊−ln(U) · mL⌋ with U uniform in (0, 1] from SplitMix64 of (seed, row): the level distribution of the
    /// paper, reproducible per row without carrying generator state through <see cref="Save"/>.
    /// </summary>
    private int DrawLevel(int row)
    {
        var z = unchecked((ulong)Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)row + 1);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        var uniform = ((z >> 11) + 1) * (1.0 / (1UL << 53));
        return Math.Min(MaxLevel, (int)Math.Floor(-Math.Log(uniform) * LevelMultiplier));
    }

    /// <summary>The shared category instance, with this index's per-category row lists made on first sight.</summary>
    private string? Intern(string? category)
    {
        var shared = _rows.Intern(category);
        if (shared is not null && !_rowsByCategory.ContainsKey(shared))
        {
            _rowsByCategory.Add(shared, []);
            _liveRowsByCategory.Add(shared, 0);
        }

        return shared;
    }

    private void EnsureRowCapacity(long required) =>
        _rows.TryGrowRows(required, Math.Max(Dimension, Level0Stride), Dimension, GrowRowArrays);

    private void GrowRowArrays(int capacity)
    {
        if (StoresInt8)
        {
            Array.Resize(ref _codes, capacity * Dimension);
            Array.Resize(ref _scales, capacity);
        }
        else
        {
            Array.Resize(ref _vectors, capacity * Dimension);
        }

        Array.Resize(ref _rowLevel, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _level0Links, capacity * Level0Stride);
        Array.Resize(ref _upperLinks, capacity);
    }

    /// <inheritdoc />
    IReadOnlyList<IndexHit> IVectorIndex.Search(ReadOnlySpan<float> query, int k, IndexQueryOptions options) =>
        Search(query, k, options.Category, options.Ef ?? DefaultEf, options.Strategy, options.Filter);

    /// <summary>Holds nothing outside the managed heap.</summary>
    public void Dispose()
    {
    }
}
