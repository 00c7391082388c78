using Microsoft.Extensions.Options;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Extraction.WhiteBox;

namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// The models this cluster can embed with, and the vector length of each: the built-in ones plus
/// those configured under <c>Models:NAME</c>. Catalog creation asks it for the dimension so the
/// model itself never has to load on the silo that creates a catalog; a configured model's
/// dimension comes from its <c>Dimension</c> setting or a read of the file's signature, not a session.
/// A <c>base+head</c> name adds a learned head from the heads folder to a built-in or configured
/// model; its dimension is the head's output length.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>Models every silo serves without configuration; configured models may not reuse these names.</summary>
    public static readonly IReadOnlyList<string> BuiltIn =
        [ResNet18Embedder.ModelName, PooledResNet18Embedder.GemModelName, PooledResNet18Embedder.RmacModelName, StreetHead.ModelName, "whitebox"];

    private readonly Dictionary<string, int> _dimensions = new(StringComparer.Ordinal)
    {
        [ResNet18Embedder.ModelName] = 512,
        [PooledResNet18Embedder.GemModelName] = 512,
        [PooledResNet18Embedder.RmacModelName] = 512,
        [StreetHead.ModelName] = StreetHead.Dimension,
        ["whitebox"] = WhiteBoxEmbedder.FeatureLength,
    };

    private readonly HashSet<string> _configured = new(StringComparer.Ordinal);
    private readonly HeadFolder? _heads;

    /// <summary>The built-in models only.</summary>
    public ModelCatalog()
    {
    }

    /// <summary>The built-in models and the configured ones (validated at start by <see cref="ConfiguredModelOptionsValidator"/>).</summary>
    /// <param name="models">Names configured under <c>Models:NAME</c>.</param>
    /// <param name="options">Their settings.</param>
    /// <param name="heads">Where <c>base+head</c> names find their heads; null serves no heads.</param>
    public ModelCatalog(ConfiguredModels models, IOptionsMonitor<ConfiguredModelOptions> options, HeadFolder? heads = null)
    {
        this._heads = heads;
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var name in models.Names)
        {
            var model = options.Get(name);
            _dimensions[name] = model.Dimension > 0 ? model.Dimension : OnnxImageEmbedder.Inspect(name, model).Dimension;
            _configured.Add(name);
        }
    }

    /// <summary>Every model name served, <c>base+head</c> names of the head files present included.</summary>
    public IReadOnlyCollection<string> Names => _heads is null ? _dimensions.Keys : [.. _dimensions.Keys, .. _heads.ModelNames()];

    public bool TryGetDimension(string model, out int dimension)
    {
        if (_dimensions.TryGetValue(model, out dimension))
        {
            return true;
        }

        if (_heads is null || !HeadModelName.TryParse(model, out _, out _))
        {
            return false;
        }

        try
        {
            dimension = GetHead(model).OutputDimension;
            return true;
        }
        catch (Exception unusable) when (unusable is KeyNotFoundException or InvalidDataException or IOException)
        {
            return false;
        }
    }

    /// <summary>The head of a <c>base+head</c> model, checked against its base model.</summary>
    /// <exception cref="KeyNotFoundException">Not a <c>base+head</c> name of a served base model and an existing head; the message says which part is wrong.</exception>
    /// <exception cref="InvalidDataException">The head file is corrupt.</exception>
    public ProjectionHead GetHead(string model)
    {
        if (_heads is null)
        {
            throw new KeyNotFoundException($"Model '{model}' names a learned head, and this cluster serves none.");
        }

        if (!HeadModelName.TryParse(model, out var baseModel, out var head))
        {
            throw new KeyNotFoundException($"Model '{model}' is not of the form base+head.");
        }

        if (!_dimensions.TryGetValue(baseModel, out var baseDimension))
        {
            throw new KeyNotFoundException($"Model '{model}' needs base model '{baseModel}', which this cluster does not serve.");
        }

        return _heads.Get(baseModel, baseDimension, head);
    }

    /// <summary>Whether <paramref name="model"/> comes from <c>Models:NAME</c> configuration.</summary>
    public bool IsConfigured(string model) => _configured.Contains(model);
}

/// <summary>Names of the models configured under <c>Models:NAME</c>, as read at start.</summary>
/// <param name="Names">Model names as catalogs refer to them.</param>
public sealed record ConfiguredModels(IReadOnlyList<string> Names);
