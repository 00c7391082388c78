using System.Buffers.Binary;
using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>
/// Image files made to test a decoder's edges: EXIF orientations, headers that lie about their
/// size, truncations, animations and formats the cluster refuses.
/// </summary>
public static class CraftedImages
{
    /// <summary>
    /// A flat four-colour image: one colour per quadrant, so any flip or rotation of it is
    /// visible in its corners.
    /// </summary>
    public static SKBitmap Quadrants(int width, int height, SKColor topLeft, SKColor topRight, SKColor bottomLeft, SKColor bottomRight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 2);
        var bitmap = GarmentImages.NewBitmap(width, height);
        int midX = width / 2, midY = height / 2;
        bitmap.Erase(topLeft, new SKRectI(0, 0, midX, midY));
        bitmap.Erase(topRight, new SKRectI(midX, 0, width, midY));
        bitmap.Erase(bottomLeft, new SKRectI(0, midY, midX, height));
        bitmap.Erase(bottomRight, new SKRectI(midX, midY, width, height));
        return bitmap;
    }

    /// <summary>
    /// A JPEG that shows <paramref name="upright"/> when its EXIF orientation is honoured: the
    /// pixels are stored turned as a camera would store them, and an APP1 Exif segment right
    /// after the start-of-image marker carries Orientation = <paramref name="orientation"/>.
    /// </summary>
    /// <param name="upright">The picture as it should be displayed.</param>
    /// <param name="orientation">EXIF orientation, 1–8 (1 = stored upright).</param>
    /// <param name="quality">JPEG quality, 0–100.</param>
    /// <param name="bigEndian">Write the TIFF structure as Motorola ("MM") rather than Intel ("II") byte order.</param>
    public static byte[] JpegWithOrientation(SKBitmap upright, int orientation, int quality = 95, bool bigEndian = false)
    {
        ArgumentNullException.ThrowIfNull(upright);
        ArgumentOutOfRangeException.ThrowIfLessThan(orientation, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(orientation, 8);

        using var stored = StoreAs(upright, orientation);
        var jpeg = GarmentImages.Encode(stored, SKEncodedImageFormat.Jpeg, quality);
        var exif = ExifOrientationSegment(orientation, bigEndian);
        return [.. jpeg.AsSpan(0, 2), .. exif, .. jpeg.AsSpan(2)];
    }

    /// <summary>
    /// An APP1 segment (marker included) holding an Exif TIFF structure whose first IFD has one
    /// entry: Orientation (tag 0x0112, SHORT, count 1).
    /// </summary>
    public static byte[] ExifOrientationSegment(int orientation, bool bigEndian = false)
    {
        // Exif\0\0, then TIFF: byte order, 42, offset of IFD0 (8), one entry of 12 bytes, next IFD 0.
        const int TiffLength = 8 + 2 + 12 + 4;
        var segment = new byte[2 + 2 + 6 + TiffLength];
        var span = segment.AsSpan();
        span[0] = 0xFF;
        span[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(segment.Length - 2));
        "Exif\0\0"u8.CopyTo(span[4..]);

        const int Tiff = 10;
        void U16(int at, int value)
        {
            var field = segment.AsSpan(Tiff + at);
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(field, (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value);
            }
        }

        void U32(int at, int value)
        {
            var field = segment.AsSpan(Tiff + at);
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(field, (uint)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value);
            }
        }

        (bigEndian ? "MM"u8 : "II"u8).CopyTo(span[Tiff..]);
        U16(2, 42);
        U32(4, 8);
        U16(8, 1); // entries in IFD0
        U16(10, 0x0112); // Orientation
        U16(12, 3); // SHORT
        U32(14, 1); // count
        U16(18, orientation); // value, left-justified in the 4-byte field
        U32(22, 0); // no next IFD
        return segment;
    }

    /// <summary>
    /// A valid PNG whose header declares <paramref name="width"/> × <paramref name="height"/>
    /// (with a correct CRC) but whose image data is that of an 8×8 picture: a decompression
    /// bomb's header at a few hundred bytes. A decoder that trusts the header allocates for the
    /// declared size; one that decodes finds the data ends early.
    /// </summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        using var small = Quadrants(8, 8, SKColors.Red, SKColors.Green, SKColors.Blue, SKColors.White);
        var png = GarmentImages.Encode(small, SKEncodedImageFormat.Png);

        // Signature (8), then IHDR: length (4), type (4) at 12, data (13) at 16, CRC (4) at 29.
        if (!png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidOperationException("Skia's PNG does not start with IHDR.");
        }

        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 4 + 13)));
        return png;
    }

    /// <summary>The first <paramref name="keepFraction"/> of <paramref name="bytes"/>, as an interrupted upload would leave it.</summary>
    public static byte[] Truncate(byte[] bytes, double keepFraction)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfNegative(keepFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keepFraction, 1);
        return bytes[..(int)(bytes.Length * keepFraction)];
    }

    /// <summary>An animated GIF, one frame per bitmap (all the same size), looping.</summary>
    public static byte[] AnimatedGif(params SKBitmap[] frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        return GifWriter.Write(frames);
    }

    /// <summary>A Windows icon (ICO) holding <paramref name="image"/> as one PNG entry, a format Skia reads but the cluster refuses.</summary>
    public static byte[] Ico(SKBitmap image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var png = GarmentImages.Encode(image, SKEncodedImageFormat.Png);
        const int HeaderLength = 6 + 16;
        var ico = new byte[HeaderLength + png.Length];
        var span = ico.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], 1); // type: icon
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], 1); // one image
        span[6] = (byte)(image.Width >= 256 ? 0 : image.Width);
        span[7] = (byte)(image.Height >= 256 ? 0 : image.Height);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], 1); // planes
        BinaryPrimitives.WriteUInt16LittleEndian(span[12..], 32); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[18..], HeaderLength);
        png.CopyTo(span[HeaderLength..]);
        return ico;
    }

    /// <summary>
    /// A WBMP (wireless bitmap, type 0): one bit per pixel, black and white stripes. Skia reads
    /// it; the cluster refuses it.
    /// </summary>
    public static byte[] Wbmp(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 127);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 127);
        var stride = (width + 7) / 8;
        var wbmp = new byte[4 + (stride * height)];
        wbmp[2] = (byte)width; // multi-byte integers under 128 take one byte
        wbmp[3] = (byte)height;
        for (var y = 0; y < height; y += 2)
        {
            wbmp.AsSpan(4 + (y * stride), stride).Fill(0xFF);
        }

        return wbmp;
    }

    /// <summary>
    /// <paramref name="upright"/> turned so that applying EXIF <paramref name="orientation"/> to
    /// it shows <paramref name="upright"/> again.
    /// </summary>
    /// <remarks>
    /// Written from the EXIF table of what a viewer does to the stored image (2: mirror
    /// horizontally; 3: rotate 180°; 4: mirror vertically; 5: mirror horizontally, then rotate
    /// 270° clockwise; 6: rotate 90° clockwise; 7: mirror horizontally, then rotate 90° clockwise;
    /// 8: rotate 270° clockwise) and inverted here, so it does not share the decoder's index table.
    /// </remarks>
    private static SKBitmap StoreAs(SKBitmap upright, int orientation)
    {
        var swaps = orientation >= 5;
        int w = swaps ? upright.Height : upright.Width, h = swaps ? upright.Width : upright.Height;

        // Maps for a stored image of w × h (continuous coordinates, so w, not w − 1).
        var mirror = new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1);
        var flip = new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1);
        var rotate180 = new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1);
        var rotate90 = new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1); // (u, v) → (h − v, u)
        var rotate270 = new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1); // (u, v) → (v, w − u)
        var display = orientation switch
        {
            1 => SKMatrix.Identity,
            2 => mirror,
            3 => rotate180,
            4 => flip,
            5 => SKMatrix.Concat(rotate270, mirror),
            6 => rotate90,
            7 => SKMatrix.Concat(rotate90, mirror),
            _ => rotate270,
        };

        var stored = GarmentImages.NewBitmap(w, h);
        using var canvas = new SKCanvas(stored);
        canvas.SetMatrix(display.Invert());
        using var image = SKImage.FromBitmap(upright);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        return stored;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: the inputs are tiny.
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
