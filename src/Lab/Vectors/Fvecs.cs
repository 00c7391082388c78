using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Lab.Vectors;

/// <summary>
/// Reads and writes the vector files of the public ANN benchmarks (SIFT, GIST, Deep1B, …). Each file is
/// a sequence of records, all little-endian: an int32 dimension <c>d</c>, then <c>d</c> values —
/// float32 in <c>.fvecs</c>, int32 in <c>.ivecs</c> (ground-truth neighbour ids), uint8 in <c>.bvecs</c>.
/// There is no file header and no count: a file of n vectors of dimension d is exactly
/// <c>n × (4 + d × value size)</c> bytes, e.g. 1,000 512-d .fvecs vectors are 1000 × 2052 bytes.
/// </summary>
/// <remarks>
/// Readers stream: they hold one vector (or the block being filled) in memory, never the whole file twice,
/// and never seek, so a pipe works. A file that stops inside a record, declares a dimension outside
/// 1..<see cref="MaxDimension"/>, or changes dimension part-way fails with an
/// <see cref="InvalidDataException"/> naming the vector and its byte offset; vectors before the damage
/// have already been yielded by the streaming readers.
/// </remarks>
public static class Fvecs
{
    /// <summary>
    /// Largest dimension accepted. Far above any embedding; its purpose is to reject a file of another
    /// format (a text file's first four bytes read as a dimension are typically hundreds of millions)
    /// before a buffer of that size is allocated.
    /// </summary>
    public const int MaxDimension = 1 << 20;

    private const int HeaderBytes = sizeof(int);

    /// <summary>Streams the vectors of <c>.fvecs</c> data, one new array each. The stream is left open.</summary>
    public static IEnumerable<float[]> ReadFloats(Stream stream) => ReadEach<float>(stream, ".fvecs");

    /// <summary>Streams the vectors of <c>.ivecs</c> data, one new array each. The stream is left open.</summary>
    public static IEnumerable<int[]> ReadInts(Stream stream) => ReadEach<int>(stream, ".ivecs");

    /// <summary>Streams the vectors of <c>.bvecs</c> data, one new array each. The stream is left open.</summary>
    public static IEnumerable<byte[]> ReadBytes(Stream stream) => ReadEach<byte>(stream, ".bvecs");

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of <c>.fvecs</c> data into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The data is truncated or inconsistent.</exception>
    public static VectorBlock<float> ReadFloatBlock(Stream stream, int maxCount = int.MaxValue) =>
        ReadBlock<float>(stream, ".fvecs", "The .fvecs data", maxCount);

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of a <c>.fvecs</c> file into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or inconsistent; the message names it.</exception>
    public static VectorBlock<float> ReadFloatBlock(string path, int maxCount = int.MaxValue) =>
        ReadBlockFromFile<float>(path, ".fvecs", maxCount);

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of <c>.ivecs</c> data into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The data is truncated or inconsistent.</exception>
    public static VectorBlock<int> ReadIntBlock(Stream stream, int maxCount = int.MaxValue) =>
        ReadBlock<int>(stream, ".ivecs", "The .ivecs data", maxCount);

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of an <c>.ivecs</c> file into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or inconsistent; the message names it.</exception>
    public static VectorBlock<int> ReadIntBlock(string path, int maxCount = int.MaxValue) =>
        ReadBlockFromFile<int>(path, ".ivecs", maxCount);

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of <c>.bvecs</c> data into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The data is truncated or inconsistent.</exception>
    public static VectorBlock<byte> ReadByteBlock(Stream stream, int maxCount = int.MaxValue) =>
        ReadBlock<byte>(stream, ".bvecs", "The .bvecs data", maxCount);

    /// <summary>Reads up to <paramref name="maxCount"/> vectors of a <c>.bvecs</c> file into one contiguous block.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or inconsistent; the message names it.</exception>
    public static VectorBlock<byte> ReadByteBlock(string path, int maxCount = int.MaxValue) =>
        ReadBlockFromFile<byte>(path, ".bvecs", maxCount);

    /// <summary>
    /// Writes <paramref name="values"/> (whole vectors of <paramref name="dimension"/> values, back to back)
    /// as <c>.fvecs</c> records. The stream is left open.
    /// </summary>
    /// <exception cref="ArgumentException">The values are not a whole number of vectors.</exception>
    public static void WriteFloats(Stream stream, ReadOnlySpan<float> values, int dimension) =>
        Write(stream, values, dimension);

    /// <summary>Writes whole <paramref name="dimension"/>-value vectors as <c>.ivecs</c> records.</summary>
    /// <exception cref="ArgumentException">The values are not a whole number of vectors.</exception>
    public static void WriteInts(Stream stream, ReadOnlySpan<int> values, int dimension) =>
        Write(stream, values, dimension);

    /// <summary>Writes whole <paramref name="dimension"/>-value vectors as <c>.bvecs</c> records.</summary>
    /// <exception cref="ArgumentException">The values are not a whole number of vectors.</exception>
    public static void WriteBytes(Stream stream, ReadOnlySpan<byte> values, int dimension) =>
        Write(stream, values, dimension);

    private static IEnumerable<T[]> ReadEach<T>(Stream stream, string format)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Iterate(new RecordReader<T>(stream, format, $"The {format} data"));

        static IEnumerable<T[]> Iterate(RecordReader<T> reader)
        {
            while (reader.MoveNext())
            {
                yield return reader.Current.ToArray();
            }
        }
    }

    private static VectorBlock<T> ReadBlockFromFile<T>(string path, string format, int maxCount)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.SequentialScan);
        return ReadBlock<T>(stream, format, $"'{path}'", maxCount);
    }

    private static VectorBlock<T> ReadBlock<T>(Stream stream, string format, string source, int maxCount)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);

        var reader = new RecordReader<T>(stream, format, source);
        var values = Array.Empty<T>();
        var count = 0;
        while (count < maxCount && reader.MoveNext())
        {
            var dimension = reader.Dimension;
            var required = (long)(count + 1) * dimension;
            if (required > Array.MaxLength)
            {
                throw new InvalidDataException(
                    $"{source} holds more than {count} vectors of dimension {dimension}, too many for one block; " +
                    "read fewer (maxCount) or stream them.");
            }

            if (required > values.Length)
            {
                values = Grow(values, required, EstimateCount(stream, dimension, Unsafe.SizeOf<T>(), count, maxCount) * dimension);
            }

            reader.Current.CopyTo(values.AsSpan(count * dimension, dimension));
            count++;
        }

        var length = count * reader.Dimension;
        if (values.Length != length)
        {
            Array.Resize(ref values, length);
        }

        return new VectorBlock<T>(count == 0 ? 0 : reader.Dimension, count, values);
    }

    /// <summary>
    /// How many vectors the block will likely hold: the rest of a seekable stream divided by the record
    /// size (so a well-formed file is read with one allocation), capped by what was asked for.
    /// </summary>
    private static long EstimateCount(Stream stream, int dimension, int valueSize, int readSoFar, int maxCount)
    {
        long estimate = readSoFar + 1;
        if (stream.CanSeek)
        {
            var recordBytes = HeaderBytes + ((long)dimension * valueSize);
            estimate += Math.Max(0, stream.Length - stream.Position) / recordBytes;
        }

        return Math.Min(estimate, maxCount);
    }

    private static T[] Grow<T>(T[] values, long required, long hint)
    {
        var capacity = Math.Max(required, Math.Max(hint, 2L * values.Length));
        capacity = Math.Min(capacity, Array.MaxLength);
        var grown = GC.AllocateUninitializedArray<T>((int)capacity);
        values.CopyTo(grown, 0);
        return grown;
    }

    private static void Write<T>(Stream stream, ReadOnlySpan<T> values, int dimension)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (dimension is < 1 or > MaxDimension)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension,
                $"The dimension must be between 1 and {MaxDimension}.");
        }

        if (values.Length % dimension != 0)
        {
            throw new ArgumentException(
                $"{values.Length} values are not a whole number of {dimension}-dimensional vectors.", nameof(values));
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, dimension);
        var swapped = BitConverter.IsLittleEndian ? null : new T[dimension];
        for (var offset = 0; offset < values.Length; offset += dimension)
        {
            var vector = values.Slice(offset, dimension);
            if (swapped is not null)
            {
                vector.CopyTo(swapped);
                SwapIfBigEndian<T>(swapped);
                vector = swapped;
            }

            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(vector));
        }
    }

    /// <summary>Converts 4-byte values between little-endian (the files) and host order; a no-op on little-endian hosts.</summary>
    private static void SwapIfBigEndian<T>(Span<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian && Unsafe.SizeOf<T>() == sizeof(int))
        {
            var asInts = MemoryMarshal.Cast<T, int>(values);
            BinaryPrimitives.ReverseEndianness(asInts, asInts);
        }
    }

    /// <summary>
    /// Reads one record at a time into a buffer it reuses; <see cref="Current"/> is valid until the next
    /// <see cref="MoveNext"/>. <see cref="Dimension"/> is fixed by the first record.
    /// </summary>
    private sealed class RecordReader<T>(Stream stream, string format, string source)
        where T : unmanaged
    {
        private readonly byte[] _header = new byte[HeaderBytes];
        private T[] _values = [];
        private long _offset;
        private int _index;

        public int Dimension { get; private set; }

        public ReadOnlySpan<T> Current => _values;

        public bool MoveNext()
        {
            var headerRead = stream.ReadAtLeast(_header, HeaderBytes, throwOnEndOfStream: false);
            if (headerRead == 0)
            {
                return false;
            }

            if (headerRead < HeaderBytes)
            {
                throw new InvalidDataException(
                    $"{source} is truncated: vector {_index} at byte {_offset} stops after {headerRead} of the " +
                    $"{HeaderBytes} bytes of its dimension.");
            }

            var dimension = BinaryPrimitives.ReadInt32LittleEndian(_header);
            if (dimension is < 1 or > MaxDimension)
            {
                throw new InvalidDataException(
                    $"{source} is not valid: vector {_index} at byte {_offset} declares dimension {dimension}; " +
                    $"a {format} dimension must be between 1 and {MaxDimension}.");
            }

            if (Dimension == 0)
            {
                Dimension = dimension;
                _values = new T[dimension];
            }
            else if (dimension != Dimension)
            {
                throw new InvalidDataException(
                    $"{source} is inconsistent: vector {_index} at byte {_offset} declares dimension {dimension} " +
                    $"but the first vector has {Dimension}; every vector of a {format} file has the same dimension.");
            }

            var bytes = MemoryMarshal.AsBytes(_values.AsSpan());
            var valuesRead = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (valuesRead < bytes.Length)
            {
                throw new InvalidDataException(
                    $"{source} is truncated: vector {_index} at byte {_offset} declares {dimension} values " +
                    $"({bytes.Length} bytes) but only {valuesRead} bytes follow.");
            }

            SwapIfBigEndian<T>(_values);
            _offset += HeaderBytes + bytes.Length;
            _index++;
            return true;
        }
    }
}
