using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>
/// Garment-like pictures drawn with SkiaSharp, in the decoder's output format
/// (<see cref="SKColorType.Rgba8888"/>, unpremultiplied), so tests own their data.
/// </summary>
internal static class GarmentImages
{
    private static readonly SKColor Backdrop = new(242, 240, 235);

    /// <summary>A red sleeveless dress with white horizontal stripes, flared skirt.</summary>
    public static SKBitmap StripedDress(int size, SKColor? color = null) => Draw(size, (canvas, s) =>
    {
        using var path = new SKPath();
        path.MoveTo(0.38f * s, 0.10f * s);
        path.LineTo(0.62f * s, 0.10f * s);
        path.LineTo(0.64f * s, 0.40f * s);
        path.LineTo(0.82f * s, 0.92f * s);
        path.LineTo(0.18f * s, 0.92f * s);
        path.LineTo(0.36f * s, 0.40f * s);
        path.Close();
        using var fill = new SKPaint { Color = color ?? new SKColor(200, 30, 45), IsAntialias = true };
        canvas.DrawPath(path, fill);

        canvas.Save();
        canvas.ClipPath(path, antialias: true);
        using var stripe = new SKPaint { Color = SKColors.White, IsAntialias = true };
        for (var y = 0.12f * s; y < 0.92f * s; y += 0.08f * s)
        {
            canvas.DrawRect(0, y, s, 0.03f * s, stripe);
        }

        canvas.Restore();
    });

    /// <summary>Plain blue trousers: waistband and two straight legs.</summary>
    public static SKBitmap PlainTrousers(int size) => Draw(size, (canvas, s) =>
    {
        using var path = new SKPath();
        path.MoveTo(0.30f * s, 0.08f * s);
        path.LineTo(0.70f * s, 0.08f * s);
        path.LineTo(0.74f * s, 0.94f * s);
        path.LineTo(0.54f * s, 0.94f * s);
        path.LineTo(0.50f * s, 0.30f * s);
        path.LineTo(0.46f * s, 0.94f * s);
        path.LineTo(0.26f * s, 0.94f * s);
        path.Close();
        using var fill = new SKPaint { Color = new SKColor(35, 60, 150), IsAntialias = true };
        canvas.DrawPath(path, fill);
        using var band = new SKPaint { Color = new SKColor(25, 40, 110), IsAntialias = true };
        canvas.DrawRect(0.30f * s, 0.08f * s, 0.40f * s, 0.04f * s, band);
    });

    /// <summary>A single colour, opaque or not.</summary>
    public static SKBitmap Solid(int width, int height, SKColor color)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        return bitmap;
    }

    /// <summary>A resampled copy, as a shop's thumbnailer would make it.</summary>
    public static SKBitmap Resized(SKBitmap source, int width, int height) =>
        source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
        ?? throw new InvalidOperationException("SkiaSharp could not resize the test image.");

    /// <summary>Decodes a PNG or JPEG file to the decoder's output format.</summary>
    public static SKBitmap Load(string path)
    {
        using var codec = SKCodec.Create(path) ?? throw new InvalidOperationException($"Cannot decode {path}.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return SKBitmap.Decode(codec, info) ?? throw new InvalidOperationException($"Cannot decode {path}.");
    }

    private static SKBitmap Draw(int size, Action<SKCanvas, float> draw)
    {
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var surfaceBitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(surfaceBitmap))
        {
            canvas.Clear(Backdrop);
            draw(canvas, size);
        }

        using var pixmap = surfaceBitmap.PeekPixels();
        if (!pixmap.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes))
        {
            throw new InvalidOperationException("SkiaSharp could not convert the test image.");
        }

        return bitmap;
    }
}
