using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>
/// Binary form of a shard snapshot (see <see cref="ShardSnapshotHeader"/>): one blob, written
/// atomically, checked as a whole when read. A damaged snapshot is refused, never half-loaded: the
/// log records it covers may already be gone, so loading a guess would silently lose products.
/// Both directions stream through one 1 MiB buffer, so a snapshot of any size is never held whole,
/// nor is a second copy of its vectors.
/// </summary>
/// <remarks>
/// <code>
/// header   = magic "OFSS"  version:u16 (1)  metric:u8  reserved:u8 (0)  dimension:i32
///            replayFromGeneration:i64  productCount:i32  imageCount:i64            (32 bytes)
/// products = productCount × ( id:str  category:str?  metadata:str?  imageCount:i32 )
/// vectors  = imageCount × dimension × f32, product after product, image after image
/// trailer  = xxhash64:u64 of every byte before it
/// str      = byteCount:i32 utf8[byteCount]          str? = the same, byteCount -1 for null
/// </code>
/// Little-endian throughout. Example: an empty 4-float cosine shard covering generations 0–2 is
/// the 32-byte header (<c>4F465353 0100 00 00 04000000 0300000000000000 00000000 0000000000000000</c>)
/// and its 8-byte hash, 40 bytes. The trailer is the snapshot's identity: a graph blob names it to
/// bind itself to this snapshot (see <see cref="ShardGraphCodec"/>).
/// </remarks>
public static class ShardSnapshotCodec
{
    /// <summary>The only version this build writes and reads.</summary>
    public const ushort Version = 1;

    private const int HeaderBytes = 32;
    private const int TrailerBytes = sizeof(ulong);
    private const int StreamBufferBytes = 1024 * 1024;
    private static ReadOnlySpan<byte> Magic => "OFSS"u8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes the snapshot that <paramref name="header"/> and <paramref name="rows"/> describe to
    /// <paramref name="destination"/> through one 1 MiB buffer.
    /// </summary>
    /// <remarks>
    /// <para>The format puts every product's row before the first vector, so <paramref name="rows"/>
    /// is enumerated twice: once for the products, once for their vectors. Both enumerations must
    /// yield the same products in the same order (a view of state that does not change meanwhile);
    /// a difference is detected and thrown.</para>
    /// <para>Every check that the rows can fail throws before the trailer is written, so a
    /// destination that commits only when the write completes (<see cref="IBlobStore.WriteAsync(string, Func{Stream, CancellationToken, Task}, CancellationToken)"/>)
    /// never holds a snapshot that passes its checksum but lies.</para>
    /// </remarks>
    /// <returns>The snapshot's trailer hash (its last 8 bytes, little-endian) and its length in bytes.</returns>
    /// <exception cref="ArgumentException">
    /// The header holds impossible values, or the rows do not match it: another product or image
    /// count, a product without an id or with a negative image count, or vectors of another length
    /// than image count × dimension.
    /// </exception>
    /// <exception cref="InvalidOperationException">The second enumeration of <paramref name="rows"/> yielded other products than the first.</exception>
    public static Task<(ulong Hash, long Length)> WriteAsync(Stream destination, ShardSnapshotHeader header,
        IEnumerable<SnapshotRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return WriteAsync(destination, header, rows.Select(row => row.Product), rows, cancellationToken);
    }

    /// <summary>
    /// As <see cref="WriteAsync(Stream, ShardSnapshotHeader, IEnumerable{SnapshotRow}, CancellationToken)"/>, for a
    /// caller that lists the products and fetches each one's vectors on demand: <paramref name="vectorsOf"/> is
    /// called once per product, only when its vectors are written (the first pass reads the list alone), and the
    /// memory it returns may be reused for the next product.
    /// </summary>
    public static Task<(ulong Hash, long Length)> WriteAsync(Stream destination, ShardSnapshotHeader header,
        IReadOnlyList<SnapshotProduct> products, Func<SnapshotProduct, ReadOnlyMemory<float>> vectorsOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(products);
        ArgumentNullException.ThrowIfNull(vectorsOf);
        return WriteAsync(destination, header, products, products.Select(product => new SnapshotRow(product, vectorsOf(product))), cancellationToken);
    }

    // The products pass writes the rows that lead the format; the vectors pass must yield the same products.
    private static async Task<(ulong Hash, long Length)> WriteAsync(Stream destination, ShardSnapshotHeader header,
        IEnumerable<SnapshotProduct> productsPass, IEnumerable<SnapshotRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (header.Dimension < 1 || !Enum.IsDefined(header.Metric) || header.ReplayFromGeneration < 0
            || header.ProductCount < 0 || header.ImageCount < 0)
        {
            throw new ArgumentException($"Snapshot header {header} holds impossible values: the dimension must be at least 1, the metric defined, and the generation and counts not negative.", nameof(header));
        }

        using var writer = new HashingWriter(destination);
        WriteHeader(writer.GetSpan(HeaderBytes), header);
        writer.Advance(HeaderBytes);

        // Identity of the product sequence (ids and image counts), compared across the two passes.
        var firstPass = new XxHash64();
        var products = 0;
        long images = 0;
        foreach (var product in productsPass)
        {
            if (product.ProductId is null || product.ImageCount < 0)
            {
                throw new ArgumentException($"Snapshot row {products} has {(product.ProductId is null ? "no product id" : $"{product.ImageCount} images")}.", nameof(rows));
            }

            if (++products > header.ProductCount)
            {
                throw new ArgumentException($"The rows hold more than the {header.ProductCount} products the header announces.", nameof(rows));
            }

            images += product.ImageCount;
            AppendIdentity(firstPass, product);
            await writer.WriteStringAsync(product.ProductId, cancellationToken).ConfigureAwait(false);
            await writer.WriteStringAsync(product.Category, cancellationToken).ConfigureAwait(false);
            await writer.WriteStringAsync(product.MetadataJson, cancellationToken).ConfigureAwait(false);
            await writer.EnsureAsync(sizeof(int), cancellationToken).ConfigureAwait(false);
            BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(sizeof(int)), product.ImageCount);
            writer.Advance(sizeof(int));
        }

        if (products != header.ProductCount || images != header.ImageCount)
        {
            throw new ArgumentException($"The header announces {header.ProductCount} products with {header.ImageCount} images, but the rows hold {products} products with {images} images.", nameof(rows));
        }

        var secondPass = new XxHash64();
        var rowIndex = 0;
        foreach (var row in rows)
        {
            if (rowIndex++ == products)
            {
                throw new InvalidOperationException($"The rows yielded more than {products} products when enumerated a second time for their vectors; they must not change while a snapshot is written.");
            }

            AppendIdentity(secondPass, row.Product);
            if (row.Vectors.Length != (long)row.Product.ImageCount * header.Dimension)
            {
                throw new ArgumentException($"Product '{row.Product.ProductId}' has {row.Product.ImageCount} images of {header.Dimension} floats, but {row.Vectors.Length} floats were given.", nameof(rows));
            }

            await writer.WriteFloatsAsync(row.Vectors, cancellationToken).ConfigureAwait(false);
        }

        if (rowIndex != products || firstPass.GetCurrentHashAsUInt64() != secondPass.GetCurrentHashAsUInt64())
        {
            throw new InvalidOperationException($"The rows yielded other products when enumerated a second time for their vectors ({rowIndex} products, {products} the first time); they must not change while a snapshot is written.");
        }

        return await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a snapshot from <paramref name="source"/> as it arrives, through one 1 MiB buffer,
    /// calling <paramref name="onProduct"/> once per product, in order, with that product's
    /// <see cref="SnapshotProduct.ImageCount"/> × dimension floats. Reads <paramref name="source"/>
    /// to its end.
    /// </summary>
    /// <remarks>
    /// <para>The span passed to <paramref name="onProduct"/> is a reused buffer, valid only during
    /// the call: copy what is kept. The product rows precede every vector in the format, so the
    /// rows (but no vectors) are held until the vectors arrive.</para>
    /// <para>The checksum covers the whole blob and can only be checked at its end, after every
    /// product was handed over. When this throws, what <paramref name="onProduct"/> received is
    /// unverified and must be discarded whole.</para>
    /// </remarks>
    /// <returns>The snapshot's header and its trailer hash (its last 8 bytes, little-endian).</returns>
    /// <exception cref="InvalidDataException">
    /// The stream is not a shard snapshot, is of a version this build does not read, is damaged
    /// (fails its checksum or does not parse), is cut short, or holds bytes after the trailer.
    /// </exception>
    public static async Task<(ShardSnapshotHeader Header, ulong Hash)> ReadAsync(Stream source,
        Action<SnapshotProduct, ReadOnlySpan<float>> onProduct, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(onProduct);
        using var reader = new HashingReader(source);
        if (!await reader.TryEnsureAsync(HeaderBytes, cancellationToken).ConfigureAwait(false)
            || !reader.Buffered(HeaderBytes).StartsWith(Magic))
        {
            throw new InvalidDataException("Not a shard snapshot: the stream does not start with the \"OFSS\" header.");
        }

        var header = ReadHeader(reader.Buffered(HeaderBytes));
        reader.Consume(HeaderBytes);

        var products = new List<SnapshotProduct>(Math.Min(header.ProductCount, 1 << 16));
        long images = 0;
        for (var i = 0; i < header.ProductCount; i++)
        {
            var id = await reader.ReadStringAsync(cancellationToken).ConfigureAwait(false) ?? throw Damaged($"product {i} has no id");
            var category = await reader.ReadStringAsync(cancellationToken).ConfigureAwait(false);
            var metadata = await reader.ReadStringAsync(cancellationToken).ConfigureAwait(false);
            await reader.EnsureAsync(sizeof(int), cancellationToken).ConfigureAwait(false);
            var productImages = BinaryPrimitives.ReadInt32LittleEndian(reader.Buffered(sizeof(int)));
            reader.Consume(sizeof(int));
            if (productImages < 0 || (long)productImages * header.Dimension > Array.MaxLength)
            {
                throw Damaged($"product '{id}' has {productImages} images");
            }

            images += productImages;
            products.Add(new SnapshotProduct(id, category, metadata, productImages));
        }

        // Int128: a damaged count must not overflow into a plausible size.
        var vectorBytes = (Int128)images * header.Dimension * sizeof(float);
        if (images != header.ImageCount || (reader.Remaining is { } remaining && remaining != vectorBytes + TrailerBytes))
        {
            throw Damaged($"the header announces {header.ImageCount} images and the products hold {images}, of {header.Dimension} floats each, which do not fill the {reader.Remaining?.ToString() ?? "unknown number of"} bytes left before the checksum");
        }

        float[]? floats = null;
        try
        {
            foreach (var product in products)
            {
                var count = product.ImageCount * header.Dimension;
                if (floats is null || floats.Length < count)
                {
                    if (floats is not null)
                    {
                        ArrayPool<float>.Shared.Return(floats);
                    }

                    floats = ArrayPool<float>.Shared.Rent(count);
                }

                await reader.ReadFloatsAsync(floats.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                onProduct(product, floats.AsSpan(0, count));
            }
        }
        finally
        {
            if (floats is not null)
            {
                ArrayPool<float>.Shared.Return(floats);
            }
        }

        var hash = await reader.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return (header, hash);
    }

    private static void WriteHeader(Span<byte> span, ShardSnapshotHeader header)
    {
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        span[6] = (byte)header.Metric;
        span[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], header.Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(span[12..], header.ReplayFromGeneration);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], header.ProductCount);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], header.ImageCount);
    }

    /// <summary>Reads only a snapshot's header (its first bytes), for a reader that needs its generation, not its products.</summary>
    /// <exception cref="InvalidDataException">The stream does not start with a shard snapshot header this build reads.</exception>
    public static async Task<ShardSnapshotHeader> ReadHeaderAsync(Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bytes = new byte[HeaderBytes];
        var read = await source.ReadAtLeastAsync(bytes, HeaderBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < HeaderBytes || !bytes.AsSpan().StartsWith(Magic))
        {
            throw new InvalidDataException("Not a shard snapshot: the stream does not start with the \"OFSS\" header.");
        }

        return ReadHeader(bytes);
    }

    private static ShardSnapshotHeader ReadHeader(ReadOnlySpan<byte> span)
    {
        var version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"Shard snapshot has format version {version}; this build reads version {Version}.");
        }

        var header = new ShardSnapshotHeader(
            Dimension: BinaryPrimitives.ReadInt32LittleEndian(span[8..]),
            Metric: (DistanceMetric)span[6],
            ReplayFromGeneration: BinaryPrimitives.ReadInt64LittleEndian(span[12..]),
            ProductCount: BinaryPrimitives.ReadInt32LittleEndian(span[20..]),
            ImageCount: BinaryPrimitives.ReadInt64LittleEndian(span[24..]));
        if (!Enum.IsDefined(header.Metric) || header.Dimension < 1 || header.ReplayFromGeneration < 0
            || header.ProductCount < 0 || header.ImageCount < 0)
        {
            throw Damaged("the header holds impossible values");
        }

        return header;
    }

    private static void AppendIdentity(XxHash64 hash, SnapshotProduct product)
    {
        hash.Append(MemoryMarshal.AsBytes(product.ProductId.AsSpan()));
        Span<byte> tail = stackalloc byte[sizeof(int) * 2];
        BinaryPrimitives.WriteInt32LittleEndian(tail, product.ProductId.Length);
        BinaryPrimitives.WriteInt32LittleEndian(tail[sizeof(int)..], product.ImageCount);
        hash.Append(tail);
    }

    private static InvalidDataException Damaged(string why) =>
        new($"Shard snapshot is damaged or cut short: {why}.");

    /// <summary>Buffers what is written, hashing every byte on its way to the destination.</summary>
    private sealed class HashingWriter(Stream destination) : IDisposable
    {
        private readonly XxHash64 _hash = new();
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(StreamBufferBytes);
        private int _count;
        private long _written;

        public Span<byte> GetSpan(int size) => _buffer.AsSpan(_count, size);

        public void Advance(int count) => _count += count;

        /// <summary>Makes room for <paramref name="size"/> bytes (at most the buffer's size).</summary>
        public async ValueTask EnsureAsync(int size, CancellationToken cancellationToken)
        {
            if (_buffer.Length - _count < size)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask WriteStringAsync(string? value, CancellationToken cancellationToken)
        {
            await EnsureAsync(sizeof(int), cancellationToken).ConfigureAwait(false);
            if (value is null)
            {
                BinaryPrimitives.WriteInt32LittleEndian(GetSpan(sizeof(int)), -1);
                Advance(sizeof(int));
                return;
            }

            var count = StrictUtf8.GetByteCount(value);
            BinaryPrimitives.WriteInt32LittleEndian(GetSpan(sizeof(int)), count);
            Advance(sizeof(int));
            if (count <= _buffer.Length)
            {
                await EnsureAsync(count, cancellationToken).ConfigureAwait(false);
                Advance(StrictUtf8.GetBytes(value, GetSpan(count)));
                return;
            }

            // Larger than the buffer (a metadata document over 1 MiB): encoded on its own.
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            var bytes = ArrayPool<byte>.Shared.Rent(count);
            try
            {
                StrictUtf8.GetBytes(value, bytes);
                await WriteThroughAsync(bytes.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        public async ValueTask WriteFloatsAsync(ReadOnlyMemory<float> floats, CancellationToken cancellationToken)
        {
            while (!floats.IsEmpty)
            {
                await EnsureAsync(sizeof(float), cancellationToken).ConfigureAwait(false);
                var count = Math.Min(floats.Length, (_buffer.Length - _count) / sizeof(float));
                CopyLittleEndian(floats.Span[..count], GetSpan(count * sizeof(float)));
                Advance(count * sizeof(float));
                floats = floats[count..];
            }
        }

        /// <summary>Writes what is buffered and the trailer; returns the hash and the total length.</summary>
        public async ValueTask<(ulong Hash, long Length)> CompleteAsync(CancellationToken cancellationToken)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            var hash = _hash.GetCurrentHashAsUInt64();
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer, hash);
            await destination.WriteAsync(_buffer.AsMemory(0, TrailerBytes), cancellationToken).ConfigureAwait(false);
            _written += TrailerBytes;
            return (hash, _written);
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        private async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_count > 0)
            {
                await WriteThroughAsync(_buffer.AsMemory(0, _count), cancellationToken).ConfigureAwait(false);
                _count = 0;
            }
        }

        private async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            _hash.Append(bytes.Span);
            await destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            _written += bytes.Length;
        }

        private static void CopyLittleEndian(ReadOnlySpan<float> floats, Span<byte> destination)
        {
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(floats).CopyTo(destination);
                return;
            }

            for (var i = 0; i < floats.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], floats[i]);
            }
        }
    }

    /// <summary>
    /// Reads through a buffer, hashing every byte it consumes. Knows how many bytes are left when
    /// the source can tell its length, so that a damaged length is refused before it is allocated.
    /// </summary>
    private sealed class HashingReader : IDisposable
    {
        private readonly Stream _source;
        private readonly XxHash64 _hash = new();
        private readonly long? _length;
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(StreamBufferBytes);
        private int _start;
        private int _end;
        private long _consumed;

        public HashingReader(Stream source)
        {
            _source = source;
            if (source.CanSeek)
            {
                _length = source.Length - source.Position;
            }
        }

        /// <summary>Bytes left after those consumed, trailer included; null when the source does not say.</summary>
        public long? Remaining => _length - _consumed;

        public ReadOnlySpan<byte> Buffered(int count) => _buffer.AsSpan(_start, count);

        public void Consume(int count)
        {
            _hash.Append(_buffer.AsSpan(_start, count));
            _start += count;
            _consumed += count;
        }

        /// <summary>Buffers at least <paramref name="count"/> bytes (at most the buffer's size), or throws when the stream ends first.</summary>
        public async ValueTask EnsureAsync(int count, CancellationToken cancellationToken)
        {
            if (!await TryEnsureAsync(count, cancellationToken).ConfigureAwait(false))
            {
                throw Damaged($"the stream ends after {_consumed + _end - _start} bytes");
            }
        }

        public async ValueTask<bool> TryEnsureAsync(int count, CancellationToken cancellationToken)
        {
            if (_end - _start >= count)
            {
                return true;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            while (_end < count)
            {
                var read = await _source.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                _end += read;
            }

            return true;
        }

        public async ValueTask<string?> ReadStringAsync(CancellationToken cancellationToken)
        {
            await EnsureAsync(sizeof(int), cancellationToken).ConfigureAwait(false);
            var count = BinaryPrimitives.ReadInt32LittleEndian(Buffered(sizeof(int)));
            Consume(sizeof(int));
            if (count == -1)
            {
                return null;
            }

            if (count < 0 || count > Remaining)
            {
                throw Damaged($"a string claims {count} bytes");
            }

            if (count <= _buffer.Length)
            {
                await EnsureAsync(count, cancellationToken).ConfigureAwait(false);
                var value = Decode(Buffered(count));
                Consume(count);
                return value;
            }

            // Larger than the buffer: gathered into an array of its own, grown as the bytes arrive,
            // so that a damaged length from a stream of unknown length cannot allocate gigabytes.
            var bytes = ArrayPool<byte>.Shared.Rent(_buffer.Length);
            try
            {
                var gathered = 0;
                while (gathered < count)
                {
                    if (gathered == bytes.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * bytes.Length, count));
                        bytes.AsSpan(0, gathered).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(bytes);
                        bytes = larger;
                    }

                    await EnsureAsync(1, cancellationToken).ConfigureAwait(false);
                    var take = Math.Min(Math.Min(count, bytes.Length) - gathered, _end - _start);
                    Buffered(take).CopyTo(bytes.AsSpan(gathered));
                    Consume(take);
                    gathered += take;
                }

                return Decode(bytes.AsSpan(0, count));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        public async ValueTask ReadFloatsAsync(Memory<float> destination, CancellationToken cancellationToken)
        {
            while (!destination.IsEmpty)
            {
                if (_end - _start < sizeof(float))
                {
                    // Every byte asked for belongs to these vectors, so waiting for up to a buffer of them is safe.
                    var wanted = (int)Math.Min((long)destination.Length * sizeof(float), _buffer.Length);
                    await EnsureAsync(wanted, cancellationToken).ConfigureAwait(false);
                }

                var count = Math.Min(destination.Length, (_end - _start) / sizeof(float));

                var bytes = Buffered(count * sizeof(float));
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination.Span);
                }
                else
                {
                    for (var i = 0; i < count; i++)
                    {
                        destination.Span[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
                    }
                }

                Consume(count * sizeof(float));
                destination = destination[count..];
            }
        }

        /// <summary>Reads the trailer, checks it and that nothing follows; returns the hash.</summary>
        public async ValueTask<ulong> CompleteAsync(CancellationToken cancellationToken)
        {
            await EnsureAsync(TrailerBytes, cancellationToken).ConfigureAwait(false);
            var stored = BinaryPrimitives.ReadUInt64LittleEndian(Buffered(TrailerBytes));
            var computed = _hash.GetCurrentHashAsUInt64();
            if (stored != computed)
            {
                throw new InvalidDataException($"Shard snapshot is damaged: its XxHash64 is {computed:x16} but {stored:x16} was stored ({_consumed + TrailerBytes} bytes). Restore it from a backup; the log records it covers are gone.");
            }

            _start += TrailerBytes;
            if (_end > _start || await _source.ReadAsync(_buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) > 0)
            {
                throw new InvalidDataException($"Shard snapshot is damaged: bytes follow its checksum at byte {_consumed + TrailerBytes}.");
            }

            return stored;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        private static string Decode(ReadOnlySpan<byte> bytes) =>
            Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw Damaged("a string is not UTF-8");
    }
}
