using SkiaSharp;

namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// An opaque 8-bit RGB image, row-major, three bytes a pixel: the form every white-box feature
/// reads. Transparent pixels have been composited over white.
/// </summary>
internal sealed class RgbImage
{
    private RgbImage(int width, int height, byte[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>R, G, B of pixel (x, y) at <c>3 × (y × Width + x)</c>.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// Scales <paramref name="image"/> isotropically so that it covers a <paramref name="size"/>×<paramref name="size"/>
    /// square and keeps the centre, as the CNN extractor does: 400×600 → scale 0.32, drawn 128×192 at
    /// (0, −32), rows 32..159 kept. Sampling is trilinear (linear within and between mipmap levels), so
    /// stripes finer than a working pixel are averaged rather than aliased into false edges.
    /// </summary>
    public static RgbImage CoverSquare(SKBitmap image, int size)
    {
        var scale = Math.Max((float)size / image.Width, (float)size / image.Height);
        var width = image.Width * scale;
        var height = image.Height * scale;
        var target = SKRect.Create((size - width) / 2, (size - height) / 2, width, height);
        return Render(image, size, size, target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }

    /// <summary>The pixels of <paramref name="image"/> at its own size, unscaled.</summary>
    public static RgbImage Copy(SKBitmap image) =>
        Render(image, image.Width, image.Height, SKRect.Create(image.Width, image.Height), new SKSamplingOptions(SKFilterMode.Nearest));

    /// <summary>Wraps <paramref name="pixels"/> (R, G, B per pixel, row-major) without copying.</summary>
    public static RgbImage FromPixels(int width, int height, byte[] pixels)
    {
        if (pixels.Length != width * height * 3)
        {
            throw new ArgumentException($"A {width}×{height} RGB image holds {width * height * 3} bytes, not {pixels.Length}.", nameof(pixels));
        }

        return new RgbImage(width, height, pixels);
    }

    /// <summary>BT.601 luma, <c>(0.299 R + 0.587 G + 0.114 B) / 255</c>, in [0, 1].</summary>
    public float[] Luma()
    {
        var luma = new float[Width * Height];
        for (int p = 0, i = 0; p < luma.Length; p++, i += 3)
        {
            luma[p] = ((0.299f * Pixels[i]) + (0.587f * Pixels[i + 1]) + (0.114f * Pixels[i + 2])) / 255f;
        }

        return luma;
    }

    private static RgbImage Render(SKBitmap image, int width, int height, SKRect target, SKSamplingOptions sampling)
    {
        using var canvasBitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(canvasBitmap))
        using (var pixmap = image.PeekPixels() ?? throw new ArgumentException("The image's pixels cannot be read.", nameof(image)))
        using (var source = SKImage.FromPixels(pixmap))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawImage(source, new SKRect(0, 0, image.Width, image.Height), target, sampling);
        }

        // After the white fill every pixel is opaque, so premultiplied equals straight colour.
        ReadOnlySpan<byte> rgba = canvasBitmap.GetPixelSpan();
        var pixels = new byte[width * height * 3];
        for (int i = 0, o = 0; o < pixels.Length; i += 4, o += 3)
        {
            pixels[o] = rgba[i];
            pixels[o + 1] = rgba[i + 1];
            pixels[o + 2] = rgba[i + 2];
        }

        return new RgbImage(width, height, pixels);
    }
}
