using System.Runtime.InteropServices;

namespace OutfitFinder.Grains;

/// <summary>
/// Vectors cross grain boundaries as bytes: Orleans copies a <c>byte[]</c> as one block but writes
/// a <c>float[]</c> element by element. Little-endian, as on every platform .NET runs the cluster on.
/// </summary>
public static class PackedVectors
{
    public static byte[] Pack(ReadOnlySpan<float> vectors) => MemoryMarshal.AsBytes(vectors).ToArray();

    public static float[] Unpack(ReadOnlySpan<byte> packed)
    {
        if (packed.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"Packed vectors are {packed.Length} bytes, not a whole number of floats.", nameof(packed));
        }

        return MemoryMarshal.Cast<byte, float>(packed).ToArray();
    }
}
