using OutfitFinder.Core.Extraction.WhiteBox;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

/// <summary>Small synthetic pictures whose features can be worked out by hand.</summary>
internal static class TinyImages
{
    public static readonly SKColor Red = new(255, 0, 0);
    public static readonly SKColor Blue = new(0, 0, 255);

    /// <summary>An opaque bitmap in the decoder's format, pixel (x, y) coloured by <paramref name="colour"/>.</summary>
    public static SKBitmap Bitmap(int width, int height, Func<int, int, SKColor> colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, colour(x, y));
            }
        }

        return bitmap;
    }

    /// <summary>The same picture as the white-box features read it, unscaled.</summary>
    public static RgbImage Rgb(int width, int height, Func<int, int, SKColor> colour)
    {
        using var bitmap = Bitmap(width, height, colour);
        return RgbImage.Copy(bitmap);
    }

    /// <summary>Black where <paramref name="white"/> is false, white where it is true.</summary>
    public static RgbImage BlackAndWhite(int width, int height, Func<int, int, bool> white) =>
        Rgb(width, height, (x, y) => white(x, y) ? SKColors.White : SKColors.Black);
}
