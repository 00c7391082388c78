using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>
/// Writes GIF89a files, which Skia reads but cannot write: one global 256-colour palette, every
/// frame full-size, alpha ignored.
/// </summary>
/// <remarks>
/// The palette is exact when all frames together use at most 256 colours, else the 6×6×6 web
/// cube (each channel rounded to a multiple of 51). The image data is valid LZW that never
/// compresses: every pixel is sent as its own 9-bit literal code, and a clear code follows every
/// <see cref="LiteralsPerClear"/> literals. A decoder adds one table entry per code after the
/// first following a clear, from 258 up; clearing before the table reaches 512 keeps the code
/// width at 9 bits, so the writer never has to track it.
/// </remarks>
internal static class GifWriter
{
    private const int MinCodeSize = 8;
    private const int ClearCode = 1 << MinCodeSize;
    private const int EndCode = ClearCode + 1;
    private const int CodeBits = MinCodeSize + 1;
    private const int LiteralsPerClear = 250;

    /// <param name="frames">One or more frames of equal size; the first sets the canvas size.</param>
    /// <param name="delayCentiseconds">How long each frame shows, when there are several.</param>
    public static byte[] Write(IReadOnlyList<SKBitmap> frames, int delayCentiseconds = 50)
    {
        ArgumentOutOfRangeException.ThrowIfZero(frames.Count);
        int width = frames[0].Width, height = frames[0].Height;
        if (frames.Any(f => f.Width != width || f.Height != height))
        {
            throw new ArgumentException("All frames must have the first frame's size.", nameof(frames));
        }

        var pixels = frames.Select(GarmentImages.ReadRgba).ToList();
        var (palette, indexOf) = BuildPalette(pixels);

        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8);
        AddUInt16(gif, width);
        AddUInt16(gif, height);
        gif.Add(0b1111_0111); // global colour table of 2^(7+1) entries, 8 bits per primary
        gif.Add(0); // background colour index
        gif.Add(0); // square pixels
        foreach (var colour in palette)
        {
            gif.AddRange([colour.Red, colour.Green, colour.Blue]);
        }

        if (frames.Count > 1)
        {
            // NETSCAPE2.0 application extension: loop forever.
            gif.AddRange([0x21, 0xFF, 11]);
            gif.AddRange("NETSCAPE2.0"u8);
            gif.AddRange([3, 1, 0, 0, 0]);
        }

        foreach (var rgba in pixels)
        {
            // Graphic control extension: leave the frame in place, no transparency.
            gif.AddRange([0x21, 0xF9, 4, 0b0000_0100]);
            AddUInt16(gif, frames.Count > 1 ? delayCentiseconds : 0);
            gif.AddRange([0, 0]);

            gif.Add(0x2C); // image descriptor: whole canvas, no local palette, not interlaced
            AddUInt16(gif, 0);
            AddUInt16(gif, 0);
            AddUInt16(gif, width);
            AddUInt16(gif, height);
            gif.Add(0);

            gif.Add(MinCodeSize);
            var data = Compress(rgba, indexOf);
            for (var start = 0; start < data.Count; start += 255)
            {
                var length = Math.Min(255, data.Count - start);
                gif.Add((byte)length);
                gif.AddRange(data.GetRange(start, length));
            }

            gif.Add(0); // end of image data
        }

        gif.Add(0x3B); // trailer
        return gif.ToArray();
    }

    private static (SKColor[] Palette, Func<byte, byte, byte, byte> IndexOf) BuildPalette(List<byte[]> frames)
    {
        var distinct = new Dictionary<int, byte>();
        foreach (var rgba in frames)
        {
            for (var i = 0; i < rgba.Length && distinct.Count <= 256; i += 4)
            {
                var key = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
                distinct.TryAdd(key, (byte)distinct.Count);
            }
        }

        var palette = new SKColor[256];
        if (distinct.Count <= 256)
        {
            foreach (var (key, index) in distinct)
            {
                palette[index] = new SKColor((byte)(key >> 16), (byte)(key >> 8), (byte)key);
            }

            return (palette, (r, g, b) => distinct[(r << 16) | (g << 8) | b]);
        }

        for (var i = 0; i < 216; i++)
        {
            palette[i] = new SKColor((byte)(i / 36 * 51), (byte)(i / 6 % 6 * 51), (byte)(i % 6 * 51));
        }

        static int Level(byte channel) => (channel + 25) / 51;
        return (palette, (r, g, b) => (byte)((Level(r) * 36) + (Level(g) * 6) + Level(b)));
    }

    private static List<byte> Compress(byte[] rgba, Func<byte, byte, byte, byte> indexOf)
    {
        var output = new List<byte>(rgba.Length / 4 * CodeBits / 8 + 16);
        var buffer = 0;
        var bits = 0;
        void Emit(int code)
        {
            buffer |= code << bits;
            bits += CodeBits;
            while (bits >= 8)
            {
                output.Add((byte)buffer);
                buffer >>= 8;
                bits -= 8;
            }
        }

        for (var i = 0; i < rgba.Length; i += 4)
        {
            if ((i / 4) % LiteralsPerClear == 0)
            {
                Emit(ClearCode);
            }

            Emit(indexOf(rgba[i], rgba[i + 1], rgba[i + 2]));
        }

        Emit(EndCode);
        if (bits > 0)
        {
            output.Add((byte)buffer);
        }

        return output;
    }

    private static void AddUInt16(List<byte> bytes, int value)
    {
        bytes.Add((byte)value);
        bytes.Add((byte)(value >> 8));
    }
}
