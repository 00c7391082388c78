using System.Buffers;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// <see cref="IImageEmbedder.Embed"/> for model-backed embedders: preprocess every image into one
/// pooled buffer, then one <see cref="IImageEmbedder.Run"/>, so a direct call and the batcher's
/// path give the same vectors.
/// </summary>
internal static class PreprocessAndRun
{
    public static float[] Embed(IImageEmbedder embedder, IReadOnlyList<SKBitmap> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            return [];
        }

        var inputLength = embedder.InputLength;
        var length = images.Count * inputLength;
        var buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            for (var i = 0; i < images.Count; i++)
            {
                embedder.Preprocess(images[i], buffer.AsSpan(i * inputLength, inputLength));
            }

            return embedder.Run(buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
