using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>
/// The pictures the embedder tests use: two garments from the shared generator, plus plain
/// colours and files, all in the decoder's output format (Rgba8888, unpremultiplied).
/// </summary>
internal static class TestPictures
{
    /// <summary>A sleeveless dress with white stripes; red unless <paramref name="colour"/> says otherwise.</summary>
    public static SKBitmap StripedDress(int size, SKColor? colour = null) =>
        GarmentImages.Draw(new GarmentSpec(GarmentKind.Dress, colour ?? new SKColor(200, 30, 45), GarmentPattern.Stripes, SKColors.White, Seed: 1), size, size);

    /// <summary>Plain blue trousers.</summary>
    public static SKBitmap PlainTrousers(int size) =>
        GarmentImages.Draw(new GarmentSpec(GarmentKind.Trousers, new SKColor(35, 60, 150), GarmentPattern.Plain, new SKColor(25, 40, 110), Seed: 2), size, size);

    /// <summary>A resampled copy, as a shop's thumbnailer would make it.</summary>
    public static SKBitmap Resized(SKBitmap source, int width, int height) => GarmentImages.Resize(source, width, height);

    /// <summary>A single colour, opaque or not.</summary>
    public static SKBitmap Solid(int width, int height, SKColor colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour);
        return bitmap;
    }

    /// <summary>Decodes a PNG or JPEG file to the decoder's output format.</summary>
    public static SKBitmap Load(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidOperationException($"Cannot decode {path}.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return SKBitmap.Decode(codec, info) ?? throw new InvalidOperationException($"Cannot decode {path}.");
    }
}
