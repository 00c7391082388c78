using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// Turns decoded, upright images into fixed-length vectors. Thread-safe.
/// </summary>
/// <remarks>
/// Work is split in two so that a batcher can run the cheap, parallel part on each caller's thread
/// and serialise only the model: <see cref="Preprocess"/> (resize, crop, normalise; touches no
/// model state) and <see cref="Run"/> (one model call for any number of preprocessed images).
/// <see cref="Embed"/> does both.
/// </remarks>
public interface IImageEmbedder : IDisposable
{
    /// <summary>Model name as catalogs refer to it, e.g. <c>resnet18</c>.</summary>
    string Model { get; }

    /// <summary>Length of every vector this embedder returns.</summary>
    int Dimension { get; }

    /// <summary>Where the model runs: <c>CUDA</c> or <c>CPU</c>.</summary>
    string ExecutionProvider { get; }

    /// <summary>Floats of model input per image, as written by <see cref="Preprocess"/>.</summary>
    int InputLength { get; }

    /// <summary>
    /// Writes the model input for <paramref name="image"/> into <paramref name="destination"/>,
    /// which must hold exactly <see cref="InputLength"/> floats.
    /// </summary>
    void Preprocess(SKBitmap image, Span<float> destination);

    /// <summary>
    /// Runs the model once on <c>n = inputs.Length / InputLength</c> preprocessed images laid end
    /// to end. Returns <c>n × Dimension</c> floats, row-major, each row L2-normalised.
    /// </summary>
    float[] Run(ReadOnlyMemory<float> inputs);

    /// <summary>
    /// Embeds <paramref name="images"/> in one model call. Returns
    /// <c>images.Count × Dimension</c> floats, row-major, each row L2-normalised.
    /// </summary>
    float[] Embed(IReadOnlyList<SKBitmap> images);
}
