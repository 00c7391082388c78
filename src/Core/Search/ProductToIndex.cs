namespace OutfitFinder.Core.Search;

/// <summary>One product to add or replace in a bulk upsert (<see cref="HnswIndex.UpsertMany"/>).</summary>
/// <param name="ProductId">The product's id (ordinal).</param>
/// <param name="Category">Its category, or null for none.</param>
/// <param name="Vectors">Its images' vectors, <c>imageCount × dimension</c> floats.</param>
public readonly record struct ProductToIndex(string ProductId, string? Category, ReadOnlyMemory<float> Vectors);
