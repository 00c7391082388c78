namespace OutfitFinder.TestSupport;

/// <summary>Tiny photos of seeded noise: every seed a different product, and decoding costs next to nothing.</summary>
public static class NoiseBitmaps
{
    /// <summary>A <paramref name="side"/>×<paramref name="side"/> 24-bit BMP whose pixels follow from <paramref name="seed"/>.</summary>
    public static byte[] Bmp(int seed, int side = 32)
    {
        // Rows of side × 3 bytes are 4-byte aligned only for sides that are multiples of 4; BMP pads the rest.
        var stride = ((side * 3) + 3) & ~3;
        var pixels = stride * side;
        var bmp = new byte[54 + pixels];
        "BM"u8.CopyTo(bmp);
        BitConverter.TryWriteBytes(bmp.AsSpan(2), bmp.Length);
        BitConverter.TryWriteBytes(bmp.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bmp.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bmp.AsSpan(18), side);
        BitConverter.TryWriteBytes(bmp.AsSpan(22), side);
        BitConverter.TryWriteBytes(bmp.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bmp.AsSpan(28), (short)24);
        BitConverter.TryWriteBytes(bmp.AsSpan(34), pixels);
        new Random(seed).NextBytes(bmp.AsSpan(54));
        return bmp;
    }
}
