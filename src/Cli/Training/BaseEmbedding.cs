using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.WhiteBox;
using OutfitFinder.Core.Images;
using SkiaSharp;

namespace OutfitFinder.Cli.Training;

/// <summary>Embeds training images in this process with a built-in base model, through the cache.</summary>
internal static class BaseEmbedding
{
    /// <summary>Models <c>outfit train</c> can embed with: the built-in ones, whose files ship with the command.</summary>
    public static readonly IReadOnlyList<string> Models =
        [ResNet18Embedder.ModelName, PooledResNet18Embedder.GemModelName, PooledResNet18Embedder.RmacModelName, WhiteBoxEmbedder.ModelName];

    private const int BatchSize = 16;

    /// <exception cref="ArgumentException">Not a model of <see cref="Models"/>.</exception>
    public static IImageEmbedder Create(string model) => model switch
    {
        ResNet18Embedder.ModelName => ResNet18Embedder.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance),
        PooledResNet18Embedder.GemModelName or PooledResNet18Embedder.RmacModelName =>
            PooledResNet18Embedder.Create(model, new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance),
        WhiteBoxEmbedder.ModelName => new WhiteBoxEmbedder(),
        _ => throw new ArgumentException(
            $"--base '{model}' is not a model this command can run; use one of {string.Join(", ", Models)}."),
    };

    /// <summary>
    /// The base vector of every image in <paramref name="images"/>, from the cache or computed; an
    /// image that cannot be decoded is left out and its reason put in <paramref name="failures"/>.
    /// </summary>
    /// <param name="embedder">The base model.</param>
    /// <param name="images">Absolute paths of the images, each once.</param>
    /// <param name="cache">Vectors embedded before; new ones are added to it.</param>
    /// <param name="failures">Receives image path → why it cannot be used.</param>
    /// <param name="onEmbedded">Called with (done, total) after each batch of images not found in the cache.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static Dictionary<string, float[]> Embed(
        IImageEmbedder embedder,
        IReadOnlyCollection<string> images,
        BaseVectorCache cache,
        Dictionary<string, string> failures,
        Action<int, int> onEmbedded,
        CancellationToken cancellationToken)
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var pending = new List<string>();
        foreach (var image in images)
        {
            if (cache.TryGet(image, out var cached))
            {
                vectors[image] = cached;
            }
            else
            {
                pending.Add(image);
            }
        }

        var done = 0;
        onEmbedded(0, pending.Count);
        foreach (var chunk in pending.Chunk(BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bitmaps = new List<(string Image, SKBitmap Bitmap)>();
            try
            {
                foreach (var image in chunk)
                {
                    try
                    {
                        bitmaps.Add((image, ImageDecoder.Decode(File.ReadAllBytes(image), ImageLimits.Default)));
                    }
                    catch (ImageRejectedException rejected)
                    {
                        failures[image] = rejected.Message;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        failures[image] = ex.Message;
                    }
                }

                if (bitmaps.Count > 0)
                {
                    var rows = embedder.Embed([.. bitmaps.Select(b => b.Bitmap)]);
                    for (var i = 0; i < bitmaps.Count; i++)
                    {
                        var vector = rows.AsSpan(i * embedder.Dimension, embedder.Dimension).ToArray();
                        vectors[bitmaps[i].Image] = vector;
                        cache.Add(bitmaps[i].Image, vector);
                    }
                }
            }
            finally
            {
                foreach (var (_, bitmap) in bitmaps)
                {
                    bitmap.Dispose();
                }
            }

            done += chunk.Length;
            onEmbedded(done, pending.Count);
        }

        return vectors;
    }
}
