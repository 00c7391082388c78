namespace OutfitFinder.Core.Search;

/// <summary>
/// What every index kind a shard can answer from offers: products of one or more image vectors in, each
/// product's best image out. <see cref="FlatVectorIndex"/> (exact), <see cref="Int8VectorIndex"/> (int8 codes,
/// re-ranked exactly) and <see cref="HnswIndex"/> (graph over float or int8 vectors) implement it.
/// </summary>
/// <remarks>
/// Writes are not thread-safe: the owner serialises them. Searches may run concurrently with each other,
/// never with a write. Every implementation returns each product at most once, with its best image (lowest
/// image index among equal scores), best first, ties broken by ordinal product id.
/// </remarks>
public interface IVectorIndex : IDisposable
{
    /// <summary>Length of every vector this index holds.</summary>
    int Dimension { get; }

    /// <summary>How vectors are compared, and so which scores come back and which way is better.</summary>
    DistanceMetric Metric { get; }

    /// <summary>Number of live products.</summary>
    int ProductCount { get; }

    /// <summary>Number of live image vectors.</summary>
    int ImageCount { get; }

    /// <summary>
    /// Rows of removed or replaced products the index still holds (a graph keeps them to route searches); they
    /// never appear in results. Always 0 for kinds that drop rows at once.
    /// </summary>
    int TombstoneCount { get; }

    /// <summary>
    /// An estimate of the bytes this index holds: vectors or codes, graph links and the product bookkeeping, computed
    /// from the lengths (capacities) of its arrays and a fixed cost per product, not measured. Vectors in a mapped
    /// file count too, though they live in the page cache rather than on the managed heap. Cheap to read; it grows
    /// with the data (by steps, as arrays double) and never counts what other objects share.
    /// </summary>
    long MemoryBytes { get; }

    /// <summary>Whether a live product with this id (ordinal) is held.</summary>
    bool Contains(string productId);

    /// <summary>
    /// Adds or replaces a product: <paramref name="vectors"/> holds its images' vectors,
    /// <c>imageCount × Dimension</c> floats. The index is unchanged when this throws.
    /// </summary>
    /// <exception cref="ArgumentException">No vectors, a length that is not a multiple of <see cref="Dimension"/>,
    /// or a NaN, infinite or overflowing value.</exception>
    void Upsert(string productId, string? category, ReadOnlySpan<float> vectors);

    /// <summary>Removes a product; false if it was not there.</summary>
    bool Remove(string productId);

    /// <summary>
    /// The top <paramref name="k"/> products (exactly or approximately, by kind), best first; fewer when fewer
    /// qualify.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1, or an option is out of range.</exception>
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimension"/>, or it holds a NaN,
    /// infinite or overflowing value.</exception>
    IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query, int k, IndexQueryOptions options);
}

/// <summary>
/// An index with a saved form of its own, so its owner need not rebuild it after a restart. Each kind loads
/// its form with a static method of its own (<see cref="HnswIndex.Load"/>), which checks what it reads.
/// </summary>
public interface IPersistentVectorIndex : IVectorIndex
{
    /// <summary>Writes the index's saved form to <paramref name="stream"/>; the index is unchanged.</summary>
    void Save(Stream stream);
}

/// <summary>Per-query options every index accepts; a kind ignores those it has no use for.</summary>
/// <param name="Category">Only products of this category (ordinal), applied inside the search; null for all.</param>
/// <param name="Ef">Candidates a graph keeps per query; null for its default. Exact and int8 scans ignore it.</param>
/// <param name="Filter">Only products whose id passes (a metadata filter's row predicate), applied inside the scan or
/// the graph walk, never after the top k is cut; null for all. Flat and HNSW indexes honour it; the int8 scan refuses
/// it (<see cref="NotSupportedException"/>), since no shard answers from it.</param>
/// <param name="Strategy">How a graph answers a filtered search: by cost (<see cref="HnswFilterStrategy.Auto"/>), or a
/// walk the caller chose after counting the matches itself. Other kinds ignore it.</param>
public readonly record struct IndexQueryOptions(string? Category = null, int? Ef = null, Func<string, bool>? Filter = null,
    HnswFilterStrategy Strategy = HnswFilterStrategy.Auto);
