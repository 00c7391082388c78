namespace OutfitFinder.Grains.Catalog;

/// <summary>One product's first image vector, for maps and diagnostics of a catalog's embedding space.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="Category">Its category, or null.</param>
/// <param name="Vector">The vector of its first image, packed as in <see cref="ProductUpsert.Vectors"/>.</param>
[GenerateSerializer, Immutable]
public sealed record ProductVectorSample(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string? Category,
    [property: Id(2)] byte[] Vector);
