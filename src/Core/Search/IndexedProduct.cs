namespace OutfitFinder.Core.Search;

/// <summary>A product as an index holds it: its id, its category (if any) and how many image vectors it has.</summary>
public readonly record struct IndexedProduct(string ProductId, string? Category, int ImageCount);
