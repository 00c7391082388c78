using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>
/// Binary form of a <see cref="ShardSnapshot"/>: one blob, written atomically, checked as a whole
/// when read. A damaged snapshot is refused, never half-loaded: the log records it covers may
/// already be gone, so loading a guess would silently lose products.
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
/// and its 8-byte hash, 40 bytes.
/// </remarks>
public static partial class ShardSnapshotCodec
{
    /// <summary>The only version this build writes and reads.</summary>
    public const ushort Version = 1;

    private const int HeaderBytes = 32;
    private const int TrailerBytes = sizeof(ulong);
    private static ReadOnlySpan<byte> Magic => "OFSS"u8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The snapshot as bytes.</summary>
    /// <exception cref="ArgumentException">The vectors do not match the products' image counts, or the snapshot exceeds one buffer.</exception>
    public static byte[] Encode(ShardSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        long images = 0;
        long length = HeaderBytes + TrailerBytes;
        foreach (var product in snapshot.Products)
        {
            ArgumentNullException.ThrowIfNull(product.ProductId, nameof(snapshot));
            if (product.ImageCount < 0)
            {
                throw new ArgumentException($"Product '{product.ProductId}' has {product.ImageCount} images.", nameof(snapshot));
            }

            images += product.ImageCount;
            length += StringLength(product.ProductId) + StringLength(product.Category) + StringLength(product.MetadataJson) + sizeof(int);
        }

        if (images * snapshot.Dimension != snapshot.Vectors.Length)
        {
            throw new ArgumentException($"The products have {images} images of {snapshot.Dimension} floats, but {snapshot.Vectors.Length} floats were given.", nameof(snapshot));
        }

        length += (long)snapshot.Vectors.Length * sizeof(float);
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"The snapshot needs {length} bytes, more than one buffer holds.", nameof(snapshot));
        }

        var buffer = new byte[length];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        span[6] = (byte)snapshot.Metric;
        span[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], snapshot.Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(span[12..], snapshot.ReplayFromGeneration);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], snapshot.Products.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], images);
        var position = HeaderBytes;
        foreach (var product in snapshot.Products)
        {
            position += WriteString(product.ProductId, span[position..]);
            position += WriteString(product.Category, span[position..]);
            position += WriteString(product.MetadataJson, span[position..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[position..], product.ImageCount);
            position += sizeof(int);
        }

        var floats = span.Slice(position, snapshot.Vectors.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(snapshot.Vectors.AsSpan()).CopyTo(floats);
        }
        else
        {
            for (var i = 0; i < snapshot.Vectors.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(floats[(i * sizeof(float))..], snapshot.Vectors[i]);
            }
        }

        position += floats.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span[position..], XxHash64.HashToUInt64(span[..position]));
        return buffer;
    }

    /// <summary>Reads a snapshot written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a shard snapshot, fail their checksum (damaged or cut short), are of a
    /// version this build does not read, or do not parse.
    /// </exception>
    public static ShardSnapshot Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes + TrailerBytes || !bytes.StartsWith(Magic))
        {
            throw new InvalidDataException($"Not a shard snapshot: {bytes.Length} bytes without the \"OFSS\" header.");
        }

        var body = bytes[..^TrailerBytes];
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes[^TrailerBytes..]);
        var computed = XxHash64.HashToUInt64(body);
        if (stored != computed)
        {
            throw new InvalidDataException($"Shard snapshot is damaged: its XxHash64 is {computed:x16} but {stored:x16} was stored ({bytes.Length} bytes). Restore it from a backup; the log records it covers are gone.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"Shard snapshot has format version {version}; this build reads version {Version}.");
        }

        var metric = (DistanceMetric)bytes[6];
        var dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var replayFrom = BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]);
        var productCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
        var imageCount = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]);
        if (!Enum.IsDefined(metric) || dimension < 1 || replayFrom < 0 || productCount < 0 || imageCount < 0
            || productCount > body.Length / (3 * sizeof(int) + sizeof(int)))
        {
            throw Malformed("the header holds impossible values");
        }

        var products = new SnapshotProduct[productCount];
        var position = HeaderBytes;
        long images = 0;
        for (var i = 0; i < productCount; i++)
        {
            var id = ReadString(body, ref position) ?? throw Malformed($"product {i} has no id");
            var category = ReadString(body, ref position);
            var metadata = ReadString(body, ref position);
            if (body.Length - position < sizeof(int))
            {
                throw Malformed($"product {i} is cut short");
            }

            var productImages = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
            position += sizeof(int);
            if (productImages < 0)
            {
                throw Malformed($"product '{id}' has {productImages} images");
            }

            images += productImages;
            products[i] = new SnapshotProduct(id, category, metadata, productImages);
        }

        if (images != imageCount || (body.Length - position) != imageCount * dimension * sizeof(float))
        {
            throw Malformed($"{imageCount} images of {dimension} floats do not fill the {body.Length - position} bytes left");
        }

        var vectors = new float[imageCount * dimension];
        var floats = body[position..];
        if (BitConverter.IsLittleEndian)
        {
            floats.CopyTo(MemoryMarshal.AsBytes(vectors.AsSpan()));
        }
        else
        {
            for (var i = 0; i < vectors.Length; i++)
            {
                vectors[i] = BinaryPrimitives.ReadSingleLittleEndian(floats[(i * sizeof(float))..]);
            }
        }

        return new ShardSnapshot(dimension, metric, replayFrom, products, vectors);
    }

    private static InvalidDataException Malformed(string why) =>
        new($"Shard snapshot passes its checksum but does not parse: {why}.");

    private static long StringLength(string? value) =>
        sizeof(int) + (value is null ? 0 : (long)StrictUtf8.GetByteCount(value));

    private static int WriteString(string? value, Span<byte> destination)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination, -1);
            return sizeof(int);
        }

        var count = StrictUtf8.GetBytes(value, destination[sizeof(int)..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination, count);
        return sizeof(int) + count;
    }

    private static string? ReadString(ReadOnlySpan<byte> body, ref int position)
    {
        if (body.Length - position < sizeof(int))
        {
            throw Malformed("a string is cut short");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
        position += sizeof(int);
        if (count == -1)
        {
            return null;
        }

        if (count < 0 || count > body.Length - position || !Utf8.IsValid(body.Slice(position, count)))
        {
            throw Malformed("a string has a bad length or is not UTF-8");
        }

        var value = Encoding.UTF8.GetString(body.Slice(position, count));
        position += count;
        return value;
    }
}
