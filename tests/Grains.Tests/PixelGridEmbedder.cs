using OutfitFinder.Core.Extraction;
using OutfitFinder.Grains.Extraction;
using SkiaSharp;

namespace OutfitFinder.Grains.Tests;

/// <summary>
/// A fast stand-in for ResNet18 with the same shape (512 floats, unit length): the image shrunk
/// to a 16×8 grid of RGBA values. Similar images get similar vectors, which is all grain tests need.
/// </summary>
internal sealed class PixelGridEmbedder : IImageEmbedder
{
    private int images;
    private int calls;

    public string Model => "resnet18";
    public int Dimension => 512;
    public string ExecutionProvider => "CPU";
    public int Images => images;
    public int Calls => calls;

    public float[] Embed(IReadOnlyList<SKBitmap> bitmaps)
    {
        Interlocked.Increment(ref calls);
        Interlocked.Add(ref images, bitmaps.Count);
        var result = new float[bitmaps.Count * Dimension];
        for (var i = 0; i < bitmaps.Count; i++)
        {
            using var small = bitmaps[i].Resize(new SKImageInfo(16, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
            var row = result.AsSpan(i * Dimension, Dimension);
            var pixels = small.GetPixelSpan();
            for (var j = 0; j < Dimension; j++)
            {
                row[j] = pixels[j] / 255f + 0.01f;
            }

            var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row));
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }

        return result;
    }

    public void Dispose()
    {
    }
}

/// <summary>Hands out one <see cref="PixelGridEmbedder"/> per silo and remembers it for assertions.</summary>
internal sealed class PixelGridEmbedderFactory : IEmbedderFactory
{
    public PixelGridEmbedder Embedder { get; } = new();

    public IImageEmbedder Create(string model) => Embedder;
}
