using Microsoft.Extensions.Options;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.WhiteBox;

namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// The models this cluster can embed with, and the vector length of each: the built-in ones plus
/// those configured under <c>Models:NAME</c>. Catalog creation asks it for the dimension so the
/// model itself never has to load on the silo that creates a catalog; a configured model's
/// dimension comes from its <c>Dimension</c> setting or a read of the file's signature, not a session.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>Models every silo serves without configuration; configured models may not reuse these names.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = [ResNet18Embedder.ModelName, "whitebox"];

    private readonly Dictionary<string, int> dimensions = new(StringComparer.Ordinal)
    {
        [ResNet18Embedder.ModelName] = 512,
        ["whitebox"] = WhiteBoxEmbedder.FeatureLength,
    };

    private readonly HashSet<string> configured = new(StringComparer.Ordinal);

    /// <summary>The built-in models only.</summary>
    public ModelCatalog()
    {
    }

    /// <summary>The built-in models and the configured ones (validated at start by <see cref="ConfiguredModelOptionsValidator"/>).</summary>
    public ModelCatalog(ConfiguredModels models, IOptionsMonitor<ConfiguredModelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var name in models.Names)
        {
            var model = options.Get(name);
            dimensions[name] = model.Dimension > 0 ? model.Dimension : OnnxImageEmbedder.Inspect(name, model).Dimension;
            configured.Add(name);
        }
    }

    public IReadOnlyCollection<string> Names => dimensions.Keys;

    public bool TryGetDimension(string model, out int dimension) => dimensions.TryGetValue(model, out dimension);

    /// <summary>Whether <paramref name="model"/> comes from <c>Models:NAME</c> configuration.</summary>
    public bool IsConfigured(string model) => configured.Contains(model);
}

/// <summary>Names of the models configured under <c>Models:NAME</c>, as read at start.</summary>
/// <param name="Names">Model names as catalogs refer to them.</param>
public sealed record ConfiguredModels(IReadOnlyList<string> Names);
