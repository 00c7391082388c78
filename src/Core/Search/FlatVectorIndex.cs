namespace OutfitFinder.Core.Search;

/// <summary>
/// Exact search over every stored image vector. Vectors live in one contiguous block;
/// a product owns one or more rows (its images) and a search returns each product once,
/// represented by its best-scoring image. Not thread-safe for writes: the owning shard
/// grain serialises them.
/// </summary>
public sealed class FlatVectorIndex(int dimension, DistanceMetric metric)
{
    public int Dimension { get; } = dimension;
    public DistanceMetric Metric { get; } = metric;

    /// <summary>Number of products held.</summary>
    public int ProductCount => throw new NotImplementedException();

    /// <summary>Number of image vectors held.</summary>
    public int ImageCount => throw new NotImplementedException();

    /// <summary>
    /// Adds or replaces a product: <paramref name="vectors"/> holds its images' vectors,
    /// <c>imageCount × Dimension</c> floats; any previous rows of the product are dropped.
    /// </summary>
    public void Upsert(string productId, string? category, ReadOnlySpan<float> vectors) =>
        throw new NotImplementedException();

    /// <summary>Removes a product; false if it was not there.</summary>
    public bool Remove(string productId) => throw new NotImplementedException();

    /// <summary>
    /// Top <paramref name="k"/> products, best first, ties broken by ordinal product id.
    /// <paramref name="category"/>, when given, is applied inside the scan (exact, ordinal match).
    /// </summary>
    public IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query, int k, string? category = null) =>
        throw new NotImplementedException();
}
