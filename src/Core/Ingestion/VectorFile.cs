using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OutfitFinder.Core.Ingestion;

/// <summary>
/// Where a manifest row's vector lies: a file (its path resolved as images are) and, for a file holding many vectors,
/// the 0-based row of the one meant.
/// </summary>
/// <param name="Path">The file as the reader resolved it (a full file path, or a path inside an ingestion source).</param>
/// <param name="Row">The vector's row in a file of many; null when the file holds exactly one vector.</param>
public sealed record VectorFileRef(string Path, long? Row);

/// <summary>
/// Reads vectors made elsewhere from files a manifest names: raw little-endian float32 (<c>.f32</c>, <c>.bin</c>),
/// the layout of <c>numpy.ndarray.astype('&lt;f4').tofile</c>, or NumPy's <c>.npy</c> (float32, 1-D for one vector,
/// 2-D rows × dimension for many). Every problem is a sentence for the row's failure, never an exception: a wrong
/// length, a truncated file, another dtype, a value that is not finite.
/// </summary>
/// <remarks>
/// The <c>.npy</c> reader is written here, about forty lines, instead of taken from a library: the .NET packages that
/// read it (NumSharp's <c>np.load</c>, TorchSharp) bring a whole array library or a native runtime into the silo for
/// what is a fixed ten-byte preamble and a Python dict literal
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), and load the whole array into memory,
/// where a million-row file must be read a row at a time.
/// Only the little-endian float32 C-order case is read; anything else is refused with a sentence saying how to save it.
/// <para>One reader serves one open stream; rows are best read in ascending order, so that a stream that cannot seek
/// (or an Azure Blob stream, which fetches ranges ahead) is read forward once.</para>
/// </remarks>
public sealed partial class VectorFile
{
    /// <summary>Column (CSV) or field (JSON Lines) naming a row's vector file.</summary>
    public const string FileColumn = "vector_file";

    /// <summary>Column (CSV) or field (JSON Lines) giving the vector's 0-based row in a file of many.</summary>
    public const string RowColumn = "vector_row";

    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly Stream _stream;
    private readonly string _name;
    private readonly int _dimension;
    private readonly long _dataStart;
    private long _position;

    private VectorFile(Stream stream, string name, int dimension, long dataStart, long rows, long position)
    {
        _stream = stream;
        _name = name;
        _dimension = dimension;
        _dataStart = dataStart;
        Rows = rows;
        _position = position;
    }

    /// <summary>How many vectors the file holds.</summary>
    public long Rows { get; }

    /// <summary>Whether the path names a format this reader knows, by its extension.</summary>
    public static bool IsKnownFormat(string path) => IsNpy(path) || IsRaw(path);

    /// <summary>The extensions accepted, for messages.</summary>
    public const string KnownFormats = ".f32, .bin (raw little-endian float32) or .npy (float32)";

    /// <summary>
    /// Reads the file's header (for <c>.npy</c>) and checks its size against <paramref name="dimension"/>;
    /// the reader, or why the file cannot hold vectors of that dimension.
    /// </summary>
    /// <param name="stream">The file's content; the caller disposes it after the last read.</param>
    /// <param name="name">How messages name the file, and how its format is told (by extension).</param>
    /// <param name="dimension">The catalog's vector length.</param>
    /// <param name="cancellationToken">Stops reading the header.</param>
    public static async Task<(VectorFile? File, string? Problem)> OpenAsync(Stream stream, string name, int dimension, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long length;
        try
        {
            length = stream.Length;
        }
        catch (NotSupportedException)
        {
            return (null, $"vector file '{name}' has no known length");
        }

        var rowBytes = 4L * dimension;
        if (IsRaw(name))
        {
            if (length == 0 || length % rowBytes != 0)
            {
                return (null, string.Create(CultureInfo.InvariantCulture,
                    $"vector file '{name}' is {length:N0} bytes, not a whole number of {dimension}-value float32 vectors ({rowBytes:N0} bytes each)"));
            }

            return (new VectorFile(stream, name, dimension, 0, length / rowBytes, 0), null);
        }

        if (!IsNpy(name))
        {
            return (null, $"vector file '{name}' is not {KnownFormats}");
        }

        // Preamble: magic (6), major (1), minor (1), header length (2 bytes in version 1, 4 in 2 and 3), header text.
        var preamble = new byte[12];
        var read = await ReadUpToAsync(stream, preamble, cancellationToken);
        if (read < 10 || !preamble.AsSpan(0, 6).SequenceEqual(NpyMagic) || preamble[6] is < 1 or > 3)
        {
            return (null, $"vector file '{name}' is not a .npy file (no NumPy magic string and version at its start)");
        }

        long headerLength = preamble[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(preamble.AsSpan(8))
            : read < 12 ? -1 : BinaryPrimitives.ReadUInt32LittleEndian(preamble.AsSpan(8));
        var headerStart = preamble[6] == 1 ? 10 : 12;
        if (headerLength is < 2 or > 65536 || headerStart + headerLength > length)
        {
            return (null, $"vector file '{name}' has a .npy header that runs past its end");
        }

        var header = new byte[headerLength];
        preamble.AsSpan(headerStart, read - headerStart).CopyTo(header);
        var got = read - headerStart;
        if (got < headerLength)
        {
            await stream.ReadExactlyAsync(header.AsMemory(got), cancellationToken);
        }

        var text = Encoding.Latin1.GetString(header);
        var descr = NpyDescr().Match(text);
        var shape = NpyShape().Match(text);
        if (!descr.Success || !shape.Success || !NpyFortranOrder().Match(text).Success)
        {
            return (null, $"vector file '{name}' has a .npy header this reader does not understand: {text.Trim()}");
        }

        if (descr.Groups[1].Value is not ("<f4" or "=f4"))
        {
            return (null, $"vector file '{name}' holds '{descr.Groups[1].Value}' values; save it as little-endian float32 (numpy: a.astype('<f4'))");
        }

        if (NpyFortranOrder().Match(text).Groups[1].Value == "True")
        {
            return (null, $"vector file '{name}' is in Fortran order; save it in C order (numpy: np.ascontiguousarray(a))");
        }

        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(dim => long.TryParse(dim.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1).ToArray();
        var (rows, columns) = dims switch
        {
            [var columnsOnly] => (1L, columnsOnly),
            [var many, var each] => (many, each),
            _ => (-1, -1),
        };
        if (rows < 0 || columns < 0)
        {
            return (null, $"vector file '{name}' has shape ({shape.Groups[1].Value}); give one vector (dimension,) or rows of them (rows, dimension)");
        }

        if (columns != dimension)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"vector file '{name}' holds vectors of {columns} values; the catalog uses dimension {dimension}"));
        }

        var dataStart = headerStart + headerLength;
        if (length - dataStart < rows * rowBytes)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"vector file '{name}' is truncated: its header promises {rows:N0} × {columns} float32 values, it holds {(length - dataStart) / 4:N0}"));
        }

        return (new VectorFile(stream, name, dimension, dataStart, rows, dataStart), null);
    }

    /// <summary>The vector at <paramref name="row"/> (null: the file must hold exactly one), or why it cannot be read.</summary>
    public async Task<(float[]? Vector, string? Problem)> ReadAsync(long? row, CancellationToken cancellationToken)
    {
        if (row is null && Rows != 1)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"vector file '{_name}' holds {Rows:N0} vectors of {_dimension} values; name one with '{RowColumn}', or give a file of exactly one"));
        }

        var index = row ?? 0;
        if (index < 0 || index >= Rows)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"'{RowColumn}' is {index}; vector file '{_name}' holds rows 0 to {Rows - 1}"));
        }

        var bytes = new byte[4 * _dimension];
        var offset = _dataStart + index * bytes.Length;
        if (_stream.CanSeek)
        {
            _stream.Seek(offset, SeekOrigin.Begin);
        }
        else if (offset < _position)
        {
            return (null, $"vector file '{_name}' cannot be read backwards; list its rows in ascending order");
        }
        else
        {
            await SkipAsync(_stream, offset - _position, cancellationToken);
        }

        await _stream.ReadExactlyAsync(bytes, cancellationToken);
        _position = offset + bytes.Length;
        var vector = new float[_dimension];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
            if (!float.IsFinite(vector[i]))
            {
                return (null, string.Create(CultureInfo.InvariantCulture,
                    $"vector file '{_name}'{(row is null ? "" : $" row {index}")}: value {i} is {vector[i]}, not a finite number"));
            }
        }

        return (vector, null);
    }

    private static bool IsNpy(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    private static bool IsRaw(string path) =>
        path.EndsWith(".f32", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);

    private static async Task<int> ReadUpToAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 81920)];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            count -= read;
        }
    }

    // The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 512), }.
    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex NpyDescr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)", RegexOptions.CultureInvariant)]
    private static partial Regex NpyFortranOrder();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)", RegexOptions.CultureInvariant)]
    private static partial Regex NpyShape();
}
