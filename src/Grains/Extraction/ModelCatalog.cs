namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// The models this cluster can embed with, and the vector length of each. Catalog creation asks
/// it for the dimension so the model itself never has to load on the silo that creates a catalog.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, int> dimensions = new(StringComparer.Ordinal)
    {
        ["resnet18"] = 512,
        ["whitebox"] = OutfitFinder.Core.Extraction.WhiteBox.WhiteBoxEmbedder.FeatureLength,
    };

    public IReadOnlyCollection<string> Names => dimensions.Keys;

    public bool TryGetDimension(string model, out int dimension) => dimensions.TryGetValue(model, out dimension);
}
