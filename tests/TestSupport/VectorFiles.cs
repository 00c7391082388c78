using System.Runtime.InteropServices;
using System.Text;

namespace OutfitFinder.TestSupport;

/// <summary>Vector files as tools outside the cluster write them: raw float32 dumps and NumPy's <c>.npy</c>.</summary>
public static class VectorFiles
{
    /// <summary>Little-endian float32 values back to back, as <c>numpy.ndarray.astype('&lt;f4').tofile</c> writes them.</summary>
    public static byte[] Raw(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>
    /// A <c>.npy</c> of version 1.0 as <c>numpy.save</c> writes it: magic, version, header length, a dict literal padded
    /// with spaces so the data starts at a multiple of 64 bytes, then the values.
    /// </summary>
    public static byte[] Npy(int[] shape, float[] values, string descr = "<f4")
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        var header = dict.PadRight(((10 + dict.Length + 1 + 63) / 64 * 64) - 11) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 };
        bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        bytes.AddRange(Raw(values));
        return [.. bytes];
    }
}
