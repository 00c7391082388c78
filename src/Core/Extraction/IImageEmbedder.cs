using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>Turns decoded, upright images into fixed-length vectors. Thread-safe.</summary>
public interface IImageEmbedder : IDisposable
{
    /// <summary>Model name as catalogs refer to it, e.g. <c>resnet18</c>.</summary>
    string Model { get; }

    /// <summary>Length of every vector this embedder returns.</summary>
    int Dimension { get; }

    /// <summary>Where the model runs: <c>CUDA</c> or <c>CPU</c>.</summary>
    string ExecutionProvider { get; }

    /// <summary>
    /// Embeds <paramref name="images"/> in one model call. Returns
    /// <c>images.Count × Dimension</c> floats, row-major, each row L2-normalised.
    /// </summary>
    float[] Embed(IReadOnlyList<SKBitmap> images);
}
