using System.Buffers.Binary;
using System.Security.Cryptography;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Tests.TestSupport;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>
/// The snapshot and graph codecs, streamed both ways: the reference bytes of <see cref="ShardFileFixtures"/>,
/// round-trips across the 1 MiB buffer, and the refusals of damaged, cut-short and foreign blobs.
/// </summary>
public sealed class ShardSnapshotCodecTests
{
    public static TheoryData<string> Snapshots => new() { "sample", "large", "empty" };

    private static SnapshotContent Named(string name) => name switch
    {
        "sample" => ShardFileFixtures.Sample,
        "large" => ShardFileFixtures.Large(),
        _ => ShardFileFixtures.Empty,
    };

    /// <summary>Asserts that <paramref name="bytes"/> are the reference bytes of the snapshot <paramref name="name"/>.</summary>
    private static void AssertReferenceBytes(string name, byte[] bytes)
    {
        switch (name)
        {
            case "sample":
                Assert.Equal(Convert.ToHexString(ShardFileFixtures.SampleBytes), Convert.ToHexString(bytes));
                break;
            case "empty":
                Assert.Equal(Convert.ToHexString(ShardFileFixtures.EmptyBytes), Convert.ToHexString(bytes));
                break;
            default:
                Assert.Equal((ShardFileFixtures.LargeLength, ShardFileFixtures.LargeSha256), (bytes.LongLength, Convert.ToHexString(SHA256.HashData(bytes))));
                break;
        }
    }

    private static ulong TrailerOf(byte[] bytes) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - sizeof(ulong)));

    /// <summary>Reads <paramref name="bytes"/> back, as a seekable stream or one that trickles out in small, uneven pieces.</summary>
    private static async Task<(ShardSnapshotHeader Header, ulong Hash, List<SnapshotProduct> Products, List<float> Vectors)> ReadAsync(
        byte[] bytes, bool trickle)
    {
        var products = new List<SnapshotProduct>();
        var vectors = new List<float>();
        using Stream source = trickle ? new ForwardOnlyStream(bytes, read => 1 + (read * 7919 % 300_000)) : new MemoryStream(bytes, writable: false);
        var (header, hash) = await ShardSnapshotCodec.ReadAsync(source, (product, floats) =>
        {
            products.Add(product);
            vectors.AddRange(floats);
        }, CancellationToken.None);
        return (header, hash, products, vectors);
    }

    [Theory]
    [MemberData(nameof(Snapshots))]
    public async Task WriteAsync_WritesTheReferenceBytes_AndReturnsTheirHashAndLength(string name)
    {
        var snapshot = Named(name);
        using var destination = new MemoryStream();

        var (hash, length) = await ShardSnapshotCodec.WriteAsync(destination, snapshot.Header, snapshot.Rows(), CancellationToken.None);

        var bytes = destination.ToArray();
        AssertReferenceBytes(name, bytes);
        Assert.Equal((TrailerOf(bytes), bytes.LongLength), (hash, length));
    }

    [Fact]
    public async Task WriteAsync_WritesTheDocumentedHeader_ForAnEmptyShard()
    {
        var bytes = await ShardFileFixtures.Empty.WriteAsync();

        Assert.Equal(40, bytes.Length);
        Assert.Equal("4F4653530100000004000000030000000000000000000000" + "0000000000000000", Convert.ToHexString(bytes, 0, 32));
        Assert.Empty((await ReadAsync(bytes, trickle: false)).Products);
    }

    [Theory]
    [MemberData(nameof(Snapshots))]
    public async Task WriteAsync_FromAProductListAndVectorsOnDemand_WritesTheReferenceBytes_FetchingEachProductOnce(string name)
    {
        var snapshot = Named(name);
        var vectorsById = snapshot.Rows().ToDictionary(row => row.Product.ProductId, row => row.Vectors);
        var fetched = new List<string>();
        var reused = new float[vectorsById.Values.Select(v => v.Length).DefaultIfEmpty(0).Max()];
        using var destination = new MemoryStream();

        // One buffer for every product, as a caller copying out of its index would do.
        var (hash, length) = await ShardSnapshotCodec.WriteAsync(destination, snapshot.Header, snapshot.Products, product =>
        {
            fetched.Add(product.ProductId);
            vectorsById[product.ProductId].CopyTo(reused);
            return reused.AsMemory(0, vectorsById[product.ProductId].Length);
        }, CancellationToken.None);

        var bytes = destination.ToArray();
        AssertReferenceBytes(name, bytes);
        Assert.Equal((TrailerOf(bytes), bytes.LongLength), (hash, length));
        Assert.Equal(snapshot.Products.Select(product => product.ProductId), fetched);
    }

    [Theory]
    [InlineData("sample", false)]
    [InlineData("sample", true)]
    [InlineData("large", false)]
    [InlineData("large", true)]
    [InlineData("empty", true)]
    public async Task ReadAsync_HandsOverEveryFieldProductAndVector_OfTheReferenceBytes(string name, bool trickle)
    {
        var snapshot = Named(name);
        var bytes = name switch
        {
            "sample" => ShardFileFixtures.SampleBytes,
            "empty" => ShardFileFixtures.EmptyBytes,
            _ => await snapshot.WriteAsync(),
        };

        var (header, hash, products, vectors) = await ReadAsync(bytes, trickle);

        Assert.Equal(snapshot.Header, header);
        Assert.Equal(TrailerOf(bytes), hash);
        Assert.Equal(snapshot.Products, products);
        Assert.Equal(snapshot.Vectors.Select(BitConverter.SingleToInt32Bits), vectors.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData("sample", 9, false)]         // dimension
    [InlineData("sample", 40, true)]         // a product id
    [InlineData("sample", -12, false)]       // the last float
    [InlineData("sample", -1, true)]         // the checksum itself
    [InlineData("large", 9, false)]          // dimension
    [InlineData("large", 21, true)]          // product count
    [InlineData("large", 40, false)]         // the first product id's length
    [InlineData("large", 45, true)]          // the first product id
    [InlineData("large", 600_000, false)]    // the large metadata document
    [InlineData("large", -500_000, true)]    // a float
    [InlineData("large", -9, false)]         // the last float
    [InlineData("large", -1, true)]          // the checksum itself
    public async Task ReadAsync_RefusesSnapshot_WhenAByteIsFlipped(string name, int position, bool trickle)
    {
        var bytes = await Named(name).WriteAsync();
        var index = position < 0 ? bytes.Length + position : position;
        bytes[index] ^= 0x10;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(bytes, trickle));

        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sample", -5, false)]
    [InlineData("large", 10, false)]
    [InlineData("large", 39, true)]
    [InlineData("large", 100, false)]
    [InlineData("large", 1_000_000, true)]
    [InlineData("large", -100_000, false)]
    [InlineData("large", -8, true)]
    [InlineData("large", -1, false)]
    [InlineData("large", -1, true)]
    public async Task ReadAsync_RefusesSnapshot_WhenCutShort(string name, int keep, bool trickle)
    {
        var bytes = await Named(name).WriteAsync();
        var cut = bytes[..(keep < 0 ? bytes.Length + keep : keep)];

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(cut, trickle));

        Assert.Matches("damaged|Not a shard snapshot", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_RefusesSnapshot_WhenBytesFollowTheChecksum(bool trickle)
    {
        var bytes = await ShardFileFixtures.Large().WriteAsync();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync([.. bytes, 0], trickle));

        // A seekable source is refused before the vectors are read: its length does not add up.
        Assert.Matches(trickle ? "follow its checksum" : "bytes left before the checksum", error.Message);
    }

    [Fact]
    public async Task ReadAsync_RefusesSnapshot_WhenNotASnapshotOrOfAnotherVersion()
    {
        var two = ShardFileFixtures.SampleBytes;
        two[4] = 2;
        var flipped = ShardFileFixtures.SampleBytes;
        flipped[5] ^= 0x10;

        var foreign = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(new byte[64], trickle: false));
        var version = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(two, trickle: true));
        var flippedVersion = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(flipped, trickle: false));

        Assert.Contains("Not a shard snapshot", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("format version 2", version.Message, StringComparison.Ordinal);
        Assert.Contains("format version 4097", flippedVersion.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Mismatches => new() { "more products", "fewer products", "more images", "short vectors", "negative images" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task WriteAsync_ThrowsBeforeTheChecksum_WhenRowsDoNotMatchTheHeader(string mismatch)
    {
        var snapshot = ShardFileFixtures.Sample;
        var header = snapshot.Header;
        var rows = snapshot.Rows().ToList();
        switch (mismatch)
        {
            case "more products": header = header with { ProductCount = 2 }; break;
            case "fewer products": header = header with { ProductCount = 4 }; break;
            case "more images": header = header with { ImageCount = 4 }; break;
            case "short vectors": rows[0] = rows[0] with { Vectors = rows[0].Vectors[..5] }; break;
            default: rows[2] = rows[2] with { Product = rows[2].Product with { ImageCount = -1 } }; break;
        }

        using var destination = new MemoryStream();
        await Assert.ThrowsAsync<ArgumentException>(() => ShardSnapshotCodec.WriteAsync(destination, header, rows, CancellationToken.None));

        Assert.True(destination.Length < ShardFileFixtures.SampleBytes.Length, "the trailer was written");
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 0)]
    [InlineData(1, 4)]
    public async Task WriteAsync_FromAProductList_ThrowsBeforeTheChecksum_WhenVectorsDoNotMatchImageCounts(int product, int floats)
    {
        var snapshot = ShardFileFixtures.Sample;
        var rows = snapshot.Rows().ToDictionary(row => row.Product.ProductId, row => row.Vectors);
        var wrong = snapshot.Products[product].ProductId;
        using var destination = new MemoryStream();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ShardSnapshotCodec.WriteAsync(destination, snapshot.Header, snapshot.Products,
            p => p.ProductId == wrong ? new float[floats] : rows[p.ProductId], CancellationToken.None));

        Assert.Contains($"'{wrong}'", error.Message, StringComparison.Ordinal);
        Assert.True(destination.Length < ShardFileFixtures.SampleBytes.Length, "the trailer was written");
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenTheRowsChangeBetweenTheirTwoEnumerations()
    {
        var snapshot = ShardFileFixtures.Sample;
        var passes = 0;
        IEnumerable<SnapshotRow> Changing()
        {
            var rows = snapshot.Rows().ToList();
            if (passes++ == 1)
            {
                (rows[0], rows[1]) = (rows[1], rows[0]);
            }

            return rows;
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ShardSnapshotCodec.WriteAsync(Stream.Null, snapshot.Header, new Reenumerable(Changing), CancellationToken.None));

        Assert.Contains("must not change", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GraphWriteAsync_WritesTheReferenceBytes_AndReadHeaderReadsThemBack()
    {
        using var source = new MemoryStream([9, 9, 9, .. ShardFileFixtures.GraphPayload]) { Position = 3 };
        using var destination = new MemoryStream();

        var written = await ShardGraphCodec.WriteAsync(destination, 3, 0xABCDEFUL, source, CancellationToken.None);

        var bytes = destination.ToArray();
        Assert.Equal(Convert.ToHexString(ShardFileFixtures.GraphBytes), Convert.ToHexString(bytes));
        Assert.Equal(bytes.Length, written);
        Assert.Equal(new ShardGraphHeader(3, 0xABCDEFUL, 16), ShardGraphCodec.ReadHeader(bytes));
    }

    [Fact]
    public void GraphReadHeader_RefusesAForeignBlobOrAnotherVersion()
    {
        var two = ShardFileFixtures.GraphBytes;
        two[4] = 2;

        var foreign = Assert.Throws<InvalidDataException>(() => ShardGraphCodec.ReadHeader(new byte[ShardGraphCodec.HeaderLength]));
        var version = Assert.Throws<InvalidDataException>(() => ShardGraphCodec.ReadHeader(two));
        var shortHeader = Assert.Throws<InvalidDataException>(() => ShardGraphCodec.ReadHeader(ShardFileFixtures.GraphBytes.AsSpan(0, 20)));

        Assert.Contains("Not a shard graph", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("format version 2", version.Message, StringComparison.Ordinal);
        Assert.Contains("Not a shard graph", shortHeader.Message, StringComparison.Ordinal);
    }

    /// <summary>Graph blobs from 0 bytes to more than the 1 MiB copy buffer, pinned by their SHA-256.</summary>
    [Theory]
    [InlineData(0, 0, "3583E8AC5D3FC06DBBA869EA9B082DEA079F6865BC7F82678DE73310575DBF29")]
    [InlineData(1_000, 0, "E5C5317FC8D8A7C24C6A3FE468B9EE7E4F93C5E4A1E231E63BC59579B6FAA6F9")]
    [InlineData(3 * 1024 * 1024 + 5, 17, "9C7D2ACC4A9975AB192FFC0F426005F9B47B23A2129CAD080D7170363658E96C")]
    public async Task GraphWriteAsync_WritesTheReferenceBytes_FromThePayloadsPosition(int payloadLength, int position, string sha256)
    {
        var payload = new byte[position + payloadLength];
        new Random(payloadLength).NextBytes(payload);
        using var source = new MemoryStream(payload) { Position = position };
        using var destination = new MemoryStream();

        var written = await ShardGraphCodec.WriteAsync(destination, 4, 0xFEEDUL, source, CancellationToken.None);

        var bytes = destination.ToArray();
        Assert.Equal(sha256, Convert.ToHexString(SHA256.HashData(bytes)));
        Assert.Equal(ShardGraphCodec.HeaderLength + payloadLength + ShardGraphCodec.TrailerLength, written);
        Assert.Equal(new ShardGraphHeader(4, 0xFEEDUL, payloadLength), ShardGraphCodec.ReadHeader(bytes));
        Assert.True(payload.AsSpan(position).SequenceEqual(bytes.AsSpan(ShardGraphCodec.HeaderLength, payloadLength)), "the payload differs");
    }

    /// <summary>An enumerable that asks <paramref name="enumerate"/> afresh each time it is enumerated.</summary>
    private sealed class Reenumerable(Func<IEnumerable<SnapshotRow>> enumerate) : IEnumerable<SnapshotRow>
    {
        public IEnumerator<SnapshotRow> GetEnumerator() => enumerate().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
