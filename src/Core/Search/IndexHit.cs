namespace OutfitFinder.Core.Search;

/// <summary>One product found by a scan: its best-matching image and that image's score.</summary>
public readonly record struct IndexHit(string ProductId, int ImageIndex, float Score);
