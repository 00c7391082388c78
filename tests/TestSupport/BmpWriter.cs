using System.Buffers.Binary;
using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>Writes uncompressed 24-bit Windows bitmaps (BITMAPINFOHEADER, rows bottom-up), which Skia reads but cannot write.</summary>
internal static class BmpWriter
{
    private const int FileHeaderSize = 14;
    private const int InfoHeaderSize = 40;

    public static byte[] Write(SKBitmap bitmap)
    {
        var rgba = GarmentImages.ReadRgba(bitmap);
        int width = bitmap.Width, height = bitmap.Height;
        var stride = ((width * 3) + 3) & ~3;
        var offset = FileHeaderSize + InfoHeaderSize;
        var bytes = new byte[offset + (stride * height)];
        var span = bytes.AsSpan();

        "BM"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[10..], offset);

        var info = span[FileHeaderSize..];
        BinaryPrimitives.WriteInt32LittleEndian(info, InfoHeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(info[4..], width);
        BinaryPrimitives.WriteInt32LittleEndian(info[8..], height); // positive: bottom row first
        BinaryPrimitives.WriteInt16LittleEndian(info[12..], 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(info[14..], 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(info[20..], stride * height); // BI_RGB, so compression at 16 stays 0
        BinaryPrimitives.WriteInt32LittleEndian(info[24..], 2835); // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(info[28..], 2835);

        for (var y = 0; y < height; y++)
        {
            var row = span.Slice(offset + ((height - 1 - y) * stride), width * 3);
            for (var x = 0; x < width; x++)
            {
                var source = ((y * width) + x) * 4;
                row[x * 3] = rgba[source + 2];
                row[(x * 3) + 1] = rgba[source + 1];
                row[(x * 3) + 2] = rgba[source];
            }
        }

        return bytes;
    }
}
