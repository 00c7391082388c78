using System.Runtime.InteropServices;
using SkiaSharp;

namespace OutfitFinder.TestSupport;

public static partial class GarmentImages
{
    /// <summary>
    /// Encodes <paramref name="bitmap"/> as an image file. PNG, JPEG and WebP come from Skia's
    /// encoders; Skia cannot write BMP or GIF, so those come from small writers here (24-bit
    /// BMP; single-frame GIF with an exact palette when the image has at most 256 colours).
    /// </summary>
    /// <param name="bitmap">Image to encode.</param>
    /// <param name="format">One of PNG, JPEG, WebP, BMP or GIF.</param>
    /// <param name="quality">0–100 for JPEG and lossy WebP (100 makes WebP lossless); ignored by the others.</param>
    /// <exception cref="NotSupportedException"><paramref name="format"/> is not one of the five.</exception>
    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        switch (format)
        {
            case SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp:
            {
                using var data = bitmap.Encode(format, quality)
                    ?? throw new InvalidOperationException($"Skia could not encode a {bitmap.Width}×{bitmap.Height} {bitmap.ColorType} bitmap as {format}.");
                return data.ToArray();
            }

            case SKEncodedImageFormat.Bmp:
                return BmpWriter.Write(bitmap);

            case SKEncodedImageFormat.Gif:
                return GifWriter.Write([bitmap]);

            default:
                throw new NotSupportedException($"Cannot encode {format}; use PNG, JPEG, WebP, BMP or GIF.");
        }
    }

    /// <summary>The pixels of <paramref name="bitmap"/> as unpremultiplied RGBA bytes, row after row with no padding.</summary>
    internal static byte[] ReadRgba(SKBitmap bitmap)
    {
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize64];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = bitmap.PeekPixels();
            if (!pixmap.ReadPixels(info, handle.AddrOfPinnedObject(), info.RowBytes))
            {
                throw new InvalidOperationException($"Cannot read the pixels of a {bitmap.ColorType} bitmap.");
            }
        }
        finally
        {
            handle.Free();
        }

        return rgba;
    }
}
