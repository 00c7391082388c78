using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace OutfitFinder.Core.Extraction.Siamese;

/// <summary>
/// Reads and writes <see cref="ProjectionHead"/> files (<c>NAME.head</c>).
/// </summary>
/// <remarks>
/// Format version 1, all integers and floats little-endian:
/// <code>
/// offset      size      field
/// 0           4         magic "OFHD"
/// 4           4         uint32 format version = 1
/// 8           2         uint16 L: length of the base model name in UTF-8 bytes (1..256)
/// 10          L         base model name, UTF-8 (e.g. "resnet18")
/// 10+L        4         int32 input dimension  I (1..65536)
/// 14+L        4         int32 output dimension O (1..65536)
/// 18+L        4·O·I     weights, float32, row-major: row r (I floats) makes output r
/// 18+L+4·O·I  4·O       bias, float32
/// end−8       8         uint64 XxHash64 (seed 0) of every byte before it
/// </code>
/// A 128×512 ResNet18 head is 262,690 bytes (26 + 262,144 + 512 + 8). The checksum turns a truncated copy or a flipped
/// bit into a clear error at load instead of a silently different embedding space.
/// </remarks>
public static class HeadFile
{
    /// <summary>File name extension of head files, with the dot.</summary>
    public const string Extension = ".head";

    /// <summary>The format version this code writes and the only one it reads.</summary>
    public const uint Version = 1;

    /// <summary>Largest input or output dimension a head file may declare.</summary>
    public const int MaxDimension = 65536;
    private const int MaxBaseNameBytes = 256;
    private const int ChecksumLength = sizeof(ulong);
    private static readonly byte[] Magic = "OFHD"u8.ToArray();

    /// <summary>The bytes of <paramref name="head"/> in the head file format.</summary>
    public static byte[] Write(ProjectionHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        var name = Encoding.UTF8.GetBytes(head.BaseModel);
        if (name.Length > MaxBaseNameBytes)
        {
            throw new ArgumentException($"Base model name is {name.Length} bytes; a head file holds at most {MaxBaseNameBytes}.", nameof(head));
        }

        var bytes = new byte[Length(name.Length, head.InputDimension, head.OutputDimension)];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], (ushort)name.Length);
        name.CopyTo(span[10..]);
        var position = 10 + name.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], head.InputDimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[(position + 4)..], head.OutputDimension);
        position += 8;
        position += WriteFloats(head.Weights, span[position..]);
        position += WriteFloats(head.Bias, span[position..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[position..], XxHash64.HashToUInt64(span[..position]));
        return bytes;
    }

    /// <summary>Writes <paramref name="head"/> to <paramref name="path"/>, replacing it whole (a reader never sees half a file).</summary>
    public static void Save(ProjectionHead head, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllBytes(temporary, Write(head));
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads the head file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file there.</exception>
    /// <exception cref="InvalidDataException">The file is not a head file, is of another version, truncated or corrupt; the message says which.</exception>
    public static ProjectionHead Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Head file not found: '{Path.GetFullPath(path)}'.", path);
        }

        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses head file bytes; <paramref name="source"/> names them in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid head file; the message says why.</exception>
    public static ProjectionHead Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 10 || !bytes[..4].SequenceEqual(Magic))
        {
            throw Invalid(source, "it is not a head file (it does not start with \"OFHD\")");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != Version)
        {
            throw Invalid(source, $"its format version is {version}; this build reads version {Version}");
        }

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (nameLength is 0 or > MaxBaseNameBytes)
        {
            throw Invalid(source, $"its base model name length {nameLength} is outside 1..{MaxBaseNameBytes}");
        }

        var position = 10 + nameLength;
        if (bytes.Length < position + 8)
        {
            throw Invalid(source, $"it is truncated: {bytes.Length} bytes end inside the header");
        }

        var baseModel = Encoding.UTF8.GetString(bytes.Slice(10, nameLength));
        var input = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
        var output = BinaryPrimitives.ReadInt32LittleEndian(bytes[(position + 4)..]);
        if (input is < 1 or > MaxDimension || output is < 1 or > MaxDimension)
        {
            throw Invalid(source, $"its dimensions {input}→{output} are outside 1..{MaxDimension}");
        }

        var expected = Length(nameLength, input, output);
        if (bytes.Length != expected)
        {
            throw Invalid(source, bytes.Length < expected
                ? $"it is truncated: a {input}→{output} head needs {expected} bytes, the file has {bytes.Length}"
                : $"it has {bytes.Length - expected} bytes after the end of a {input}→{output} head");
        }

        var body = bytes[..^ChecksumLength];
        if (XxHash64.HashToUInt64(body) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[^ChecksumLength..]))
        {
            throw Invalid(source, "its checksum does not match its contents (the file is corrupt)");
        }

        position += 8;
        var weights = ReadFloats(bytes.Slice(position, 4 * input * output));
        var bias = ReadFloats(bytes.Slice(position + (4 * input * output), 4 * output));
        try
        {
            return new ProjectionHead(baseModel, input, output, weights, bias);
        }
        catch (ArgumentException rejected)
        {
            throw Invalid(source, rejected.Message);
        }
    }

    private static long Length(int nameLength, int input, int output) =>
        10L + nameLength + 8 + (4L * input * output) + (4L * output) + ChecksumLength;

    private static int WriteFloats(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var length = values.Length * sizeof(float);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
            }
        }

        return length;
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return values;
    }

    private static InvalidDataException Invalid(string source, string reason) =>
        new($"Head file '{source}' cannot be used: {reason}.");
}
