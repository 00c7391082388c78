using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Extraction.Siamese;

/// <summary>
/// The built-in model <c>resnet18-rmac-street</c>: ResNet18 with R-MAC pooling followed by a learned
/// 512→512 head, trained on street photos of the clothing set (their best crop against their
/// product's shop photo, softmax ranking loss, early stopping on validation retrieval with thorough
/// localisation). The head ships inside this assembly; docs/evaluation.md has the command that
/// reproduces it from scratch and its figures. The default model of new catalogs.
/// </summary>
public static class StreetHead
{
    /// <summary>Model name of the built-in street space.</summary>
    public const string ModelName = "resnet18-rmac-street";

    /// <summary>Its vector length: the head's output.</summary>
    public const int Dimension = 512;

    private const string ResourceName = "OutfitFinder.Heads.resnet18-rmac-street.head";

    private static readonly Lazy<ProjectionHead> Loaded = new(Load);

    /// <summary>The head, read once from this assembly.</summary>
    public static ProjectionHead Head => Loaded.Value;

    /// <summary>Loads ResNet18 with R-MAC pooling and puts the street head after it.</summary>
    public static IImageEmbedder Create(OnnxEmbedderOptions options, ILogger<ResNet18Embedder> logger)
    {
        var network = PooledResNet18Embedder.Create(PooledResNet18Embedder.RmacModelName, options, logger);
        try
        {
            return new ProjectedEmbedder(network, Head, "street", ModelName);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static ProjectionHead Load()
    {
        using var stream = typeof(StreetHead).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The build lacks the embedded head '{ResourceName}'.");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        var head = HeadFile.Read(bytes.ToArray(), ResourceName);
        if (head.BaseModel != PooledResNet18Embedder.RmacModelName || head.OutputDimension != Dimension)
        {
            throw new InvalidDataException($"The embedded head '{ResourceName}' is a {head.BaseModel} → {head.OutputDimension} head, not {PooledResNet18Embedder.RmacModelName} → {Dimension}.");
        }

        return head;
    }
}
