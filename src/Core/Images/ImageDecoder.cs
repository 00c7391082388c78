using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace OutfitFinder.Core.Images;

/// <summary>
/// Decodes untrusted image bytes with SkiaSharp. Every method throws
/// <see cref="ImageRejectedException"/> (never another exception type) for bad input.
/// </summary>
/// <remarks>
/// Checks run cheapest first and stop at the first failure: empty, then the byte limit (before
/// the codec sees the data), then the format, then the pixel limit from the header. Only after
/// all of them pass is a pixel buffer allocated, so a decompression bomb costs a header read.
/// <para>
/// Truncated input is refused, not repaired: when the codec reports
/// <see cref="SKCodecResult.IncompleteInput"/> it has filled the missing rows itself (grey for
/// JPEG, transparent for PNG), and that half-picture would still embed to a plausible but wrong
/// vector. Such input, and anything else the codec cannot read to the end, is
/// <see cref="ImageRejection.Corrupt"/>.
/// </para>
/// </remarks>
public static class ImageDecoder
{
    private const string Accepted = "send a JPEG, PNG, WebP, BMP or GIF";

    /// <summary>Reads the header only: format and size, checked against <paramref name="limits"/>.</summary>
    /// <exception cref="ImageRejectedException">The bytes are empty, too many, not an accepted format, or declare too many pixels.</exception>
    public static ImageInfo Inspect(ReadOnlySpan<byte> bytes, ImageLimits limits)
    {
        using var codec = OpenCodec(bytes, limits, out var info);
        return info;
    }

    /// <summary>
    /// Decodes the first frame, applies EXIF orientation, and returns an upright
    /// <see cref="SKColorType.Rgba8888"/> unpremultiplied bitmap owned by the caller.
    /// </summary>
    /// <exception cref="ImageRejectedException">Any check of <see cref="Inspect"/> fails, or the data is truncated or damaged.</exception>
    /// <exception cref="InsufficientMemoryException">The limits allow an image this process cannot hold.</exception>
    public static SKBitmap Decode(ReadOnlySpan<byte> bytes, ImageLimits limits)
    {
        using var codec = OpenCodec(bytes, limits, out var info);

        // Pixels are converted to sRGB so that images carrying another ICC profile embed alike.
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul, SKColorSpace.CreateSrgb());
        var stored = Allocate(target);
        try
        {
            // Frame 0 of an animation never depends on an earlier frame, so the default options
            // (frame 0, no prior frame) decode it completely.
            var result = codec.GetPixels(target, stored.GetPixels());
            if (result != SKCodecResult.Success)
            {
                throw Corrupt(info.Format, result);
            }

            var upright = Orient(stored, codec.EncodedOrigin);
            if (!ReferenceEquals(upright, stored))
            {
                stored.Dispose();
            }

            return upright;
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    private static SKCodec OpenCodec(ReadOnlySpan<byte> bytes, ImageLimits limits, out ImageInfo info)
    {
        ArgumentNullException.ThrowIfNull(limits);

        if (bytes.IsEmpty)
        {
            throw new ImageRejectedException(ImageRejection.Empty, $"Image is empty; {Accepted}.");
        }

        if (bytes.Length > limits.MaxBytes)
        {
            throw new ImageRejectedException(
                ImageRejection.TooManyBytes,
                string.Create(CultureInfo.InvariantCulture, $"Image is {bytes.Length:N0} bytes; the limit is {limits.MaxBytes:N0}."));
        }

        // SKMemoryStream keeps its own reference to the data, and the codec takes the stream.
        using var data = SKData.CreateCopy(bytes);
        var codec = SKCodec.Create(new SKMemoryStream(data), out _);
        if (codec is null)
        {
            // The codec says why it failed, but not which format it thought it saw; the
            // signature tells a damaged upload of an accepted format (400) from anything else (415).
            var sniffed = Sniff(bytes);
            throw sniffed is null
                ? new ImageRejectedException(ImageRejection.UnsupportedFormat, $"Image format is not recognised; {Accepted}.")
                : new ImageRejectedException(ImageRejection.Corrupt, $"Image is a damaged {sniffed} whose header cannot be read; send the complete, original file.");
        }

        try
        {
            var format = FormatName(codec.EncodedFormat);
            if (format is null)
            {
                throw new ImageRejectedException(
                    ImageRejection.UnsupportedFormat,
                    $"Image is {codec.EncodedFormat.ToString().ToUpperInvariant()}, which is not accepted; {Accepted}.");
            }

            var header = codec.Info;
            if (header.Width <= 0 || header.Height <= 0)
            {
                throw new ImageRejectedException(ImageRejection.Corrupt, $"Image is a damaged {Display(format)} that declares no pixels.");
            }

            info = new ImageInfo(format, header.Width, header.Height);
            if (info.Pixels > limits.MaxPixels)
            {
                throw new ImageRejectedException(
                    ImageRejection.TooManyPixels,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"Image is {info.Pixels:N0} pixels ({info.Width}×{info.Height}); the limit is {limits.MaxPixels:N0}."));
            }

            return codec;
        }
        catch
        {
            codec.Dispose();
            throw;
        }
    }

    private static SKBitmap Allocate(SKImageInfo info)
    {
        var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
        {
            bitmap.Dispose();
            throw new InsufficientMemoryException(
                string.Create(CultureInfo.InvariantCulture, $"Could not allocate {info.BytesSize64:N0} bytes for a {info.Width}×{info.Height} image."));
        }

        return bitmap;
    }

    /// <summary>
    /// Returns <paramref name="stored"/> itself when it is already upright, else a new bitmap.
    /// Pixels are moved, not resampled, so orientation never blurs or shifts colours.
    /// </summary>
    /// <remarks>
    /// The upright pixel (x, y) is stored pixel (sx, sy) of the w × h stored image. Origin names
    /// say where the stored first row and column are shown; RightTop (6, a phone held upright)
    /// shows stored row 0 as the right column, so upright (0, 0) is stored (0, h − 1):
    /// <code>
    /// origin            sx         sy
    /// TopRight    (2)   w − 1 − x  y
    /// BottomRight (3)   w − 1 − x  h − 1 − y
    /// BottomLeft  (4)   x          h − 1 − y
    /// LeftTop     (5)   y          x
    /// RightTop    (6)   y          h − 1 − x
    /// RightBottom (7)   w − 1 − y  h − 1 − x
    /// LeftBottom  (8)   w − 1 − y  x
    /// </code>
    /// Each is linear in x and y, so the stored index sy·w + sx is start + x·stepX + y·stepY.
    /// </remarks>
    private static SKBitmap Orient(SKBitmap stored, SKEncodedOrigin origin)
    {
        var w = stored.Width;
        var h = stored.Height;
        var last = (h - 1) * w;
        (int Start, int StepX, int StepY) walk = origin switch
        {
            SKEncodedOrigin.TopRight => (w - 1, -1, w),
            SKEncodedOrigin.BottomRight => (last + w - 1, -1, -w),
            SKEncodedOrigin.BottomLeft => (last, 1, -w),
            SKEncodedOrigin.LeftTop => (0, w, 1),
            SKEncodedOrigin.RightTop => (last, -w, 1),
            SKEncodedOrigin.RightBottom => (last + w - 1, -w, -1),
            SKEncodedOrigin.LeftBottom => (w - 1, w, -1),
            _ => (0, 0, 0),
        };
        if (walk.StepX == 0)
        {
            return stored;
        }

        var swaps = origin >= SKEncodedOrigin.LeftTop;
        var info = stored.Info.WithSize(swaps ? h : w, swaps ? w : h);
        var upright = Allocate(info);
        var source = MemoryMarshal.Cast<byte, uint>(stored.GetPixelSpan());
        var target = MemoryMarshal.Cast<byte, uint>(PixelSpan(upright));
        var uw = info.Width;
        for (var y = 0; y < info.Height; y++)
        {
            var row = target.Slice(y * uw, uw);
            var index = walk.Start + (y * walk.StepY);
            for (var x = 0; x < uw; x++, index += walk.StepX)
            {
                row[x] = source[index];
            }
        }

        return upright;
    }

    private static unsafe Span<byte> PixelSpan(SKBitmap bitmap) =>
        new((void*)bitmap.GetPixels(), checked((int)bitmap.Info.BytesSize64));

    private static ImageRejectedException Corrupt(string format, SKCodecResult result) =>
        result == SKCodecResult.IncompleteInput
            ? new ImageRejectedException(ImageRejection.Corrupt, $"Image data ends early: the {Display(format)} is truncated; send the complete file.")
            : new ImageRejectedException(ImageRejection.Corrupt, $"Image is a damaged {Display(format)} that cannot be decoded ({result}).");

    private static string? FormatName(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "jpeg",
        SKEncodedImageFormat.Png => "png",
        SKEncodedImageFormat.Webp => "webp",
        SKEncodedImageFormat.Bmp => "bmp",
        SKEncodedImageFormat.Gif => "gif",
        _ => null,
    };

    private static string Display(string format) => format == "webp" ? "WebP" : format.ToUpperInvariant();

    /// <summary>The accepted format whose signature starts <paramref name="bytes"/>, for messages only.</summary>
    private static string? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "JPEG";
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "PNG";
        }

        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
        {
            return "GIF";
        }

        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }

        // "BM" alone would call any text starting "BM" a bitmap; a real BMP header also
        // declares a DIB header of one of the known sizes right after the 14-byte file header.
        if (bytes.Length >= 18 && bytes.StartsWith("BM"u8))
        {
            var dib = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..18]);
            if (dib is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124)
            {
                return "BMP";
            }
        }

        return null;
    }
}
