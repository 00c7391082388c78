using System.Numerics.Tensors;
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
    private int _images;
    private int _calls;

    public string Model => "resnet18";
    public int Dimension => 512;
    public int InputLength => 512;
    public string ExecutionProvider => "CPU";
    public int Images => _images;
    public int Calls => _calls;

    public void Preprocess(SKBitmap image, Span<float> destination)
    {
        using var small = image.Resize(new SKImageInfo(16, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        var pixels = small.GetPixelSpan();
        for (var j = 0; j < InputLength; j++)
        {
            destination[j] = pixels[j] / 255f + 0.01f;
        }
    }

    public float[] Run(ReadOnlyMemory<float> inputs)
    {
        Interlocked.Increment(ref _calls);
        var count = inputs.Length / InputLength;
        Interlocked.Add(ref _images, count);
        var result = inputs.ToArray();
        for (var i = 0; i < count; i++)
        {
            var row = result.AsSpan(i * Dimension, Dimension);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        return result;
    }

    public float[] Embed(IReadOnlyList<SKBitmap> bitmaps)
    {
        var inputs = new float[bitmaps.Count * InputLength];
        for (var i = 0; i < bitmaps.Count; i++)
        {
            Preprocess(bitmaps[i], inputs.AsSpan(i * InputLength, InputLength));
        }

        return Run(inputs);
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
