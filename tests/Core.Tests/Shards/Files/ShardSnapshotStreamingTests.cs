using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Tests.TestSupport;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>The streamed snapshot and graph codecs: the same bytes as the whole-buffer forms, and the same refusals.</summary>
public sealed class ShardSnapshotStreamingTests
{
    /// <summary>
    /// About 3.7 MiB, so it crosses the codecs' 1 MiB buffer several times; one metadata document
    /// is itself larger than the buffer, and some products have no images.
    /// </summary>
    internal static ShardSnapshot Large()
    {
        const int dimension = 96;
        var random = new Random(11);
        var products = new List<SnapshotProduct>();
        for (var i = 0; i < 2_000; i++)
        {
            var metadata = i == 700 ? new string('m', 1_200_000) : i % 3 == 0 ? null : $$"""{"n":{{i}},"name":"é✓ {{i}}"}""";
            products.Add(new SnapshotProduct($"p-{i}", i % 5 == 0 ? null : "Shoe", metadata, i % 7 == 0 ? 0 : 1 + i % 4));
        }

        var vectors = new float[products.Sum(p => p.ImageCount) * dimension];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return new ShardSnapshot(dimension, DistanceMetric.Cosine, 5, products, vectors);
    }

    public static TheoryData<string> Snapshots => new() { "sample", "large", "empty" };

    private static ShardSnapshot Named(string name) => name switch
    {
        "sample" => ShardSnapshotCodecTests.Sample(),
        "large" => Large(),
        _ => new ShardSnapshot(4, DistanceMetric.Cosine, 3, [], []),
    };

    private static ShardSnapshotHeader HeaderOf(ShardSnapshot snapshot) => new(snapshot.Dimension, snapshot.Metric,
        snapshot.ReplayFromGeneration, snapshot.Products.Count, snapshot.Products.Sum(p => (long)p.ImageCount));

    private static IEnumerable<SnapshotRow> RowsOf(ShardSnapshot snapshot)
    {
        var offset = 0;
        foreach (var product in snapshot.Products)
        {
            var length = product.ImageCount * snapshot.Dimension;
            yield return new SnapshotRow(product, snapshot.Vectors.AsMemory(offset, length));
            offset += length;
        }
    }

    private static async Task<byte[]> WriteAsync(ShardSnapshotHeader header, IEnumerable<SnapshotRow> rows)
    {
        using var destination = new MemoryStream();
        await ShardSnapshotCodec.WriteAsync(destination, header, rows, CancellationToken.None);
        return destination.ToArray();
    }

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
    public async Task WriteAsync_WritesTheBytesEncodeWrites_AndReturnsTheirHashAndLength(string name)
    {
        var snapshot = Named(name);
        var encoded = ShardSnapshotCodec.Encode(snapshot);
        using var destination = new MemoryStream();

        var (hash, length) = await ShardSnapshotCodec.WriteAsync(destination, HeaderOf(snapshot), RowsOf(snapshot), CancellationToken.None);

        Assert.True(encoded.AsSpan().SequenceEqual(destination.ToArray()), $"{destination.Length} streamed bytes differ from the {encoded.Length} encoded");
        Assert.Equal((ShardGraphCodec.SnapshotHash(encoded), (long)encoded.Length), (hash, length));
    }

    [Theory]
    [MemberData(nameof(Snapshots))]
    public async Task WriteAsync_FromAProductListAndVectorsOnDemand_WritesTheBytesEncodeWrites_FetchingEachProductOnce(string name)
    {
        var snapshot = Named(name);
        var encoded = ShardSnapshotCodec.Encode(snapshot);
        var vectorsById = RowsOf(snapshot).ToDictionary(row => row.Product.ProductId, row => row.Vectors);
        var fetched = new List<string>();
        var reused = new float[vectorsById.Values.Select(v => v.Length).DefaultIfEmpty(0).Max()];
        using var destination = new MemoryStream();

        // One buffer for every product, as a caller copying out of its index would do.
        var (hash, length) = await ShardSnapshotCodec.WriteAsync(destination, HeaderOf(snapshot), snapshot.Products, product =>
        {
            fetched.Add(product.ProductId);
            vectorsById[product.ProductId].CopyTo(reused);
            return reused.AsMemory(0, vectorsById[product.ProductId].Length);
        }, CancellationToken.None);

        Assert.True(encoded.AsSpan().SequenceEqual(destination.ToArray()), $"{destination.Length} streamed bytes differ from the {encoded.Length} encoded");
        Assert.Equal((ShardGraphCodec.SnapshotHash(encoded), (long)encoded.Length), (hash, length));
        Assert.Equal(snapshot.Products.Select(product => product.ProductId), fetched);
    }

    [Theory]
    [InlineData("sample", false)]
    [InlineData("large", false)]
    [InlineData("large", true)]
    [InlineData("empty", true)]
    public async Task ReadAsync_HandsOverEveryProductWithItsVectors_AfterWriteAsync(string name, bool trickle)
    {
        var snapshot = Named(name);
        var bytes = await WriteAsync(HeaderOf(snapshot), RowsOf(snapshot));

        var (header, hash, products, vectors) = await ReadAsync(bytes, trickle);

        Assert.Equal(HeaderOf(snapshot), header);
        Assert.Equal(ShardGraphCodec.SnapshotHash(bytes), hash);
        Assert.Equal(snapshot.Products, products);
        Assert.Equal(snapshot.Vectors.Select(BitConverter.SingleToInt32Bits), vectors.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(9, false)]        // dimension
    [InlineData(21, true)]        // product count
    [InlineData(40, false)]       // the first product id's length
    [InlineData(45, true)]        // the first product id
    [InlineData(600_000, false)]  // the large metadata document
    [InlineData(-500_000, true)]  // a float
    [InlineData(-9, false)]       // the last float
    [InlineData(-1, true)]        // the checksum itself
    public async Task ReadAsync_RefusesSnapshot_WhenAByteIsFlipped(int position, bool trickle)
    {
        var bytes = await WriteAsync(HeaderOf(Large()), RowsOf(Large()));
        var index = position < 0 ? bytes.Length + position : position;
        bytes[index] ^= 0x10;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(bytes, trickle));

        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, false)]
    [InlineData(39, true)]
    [InlineData(100, false)]
    [InlineData(1_000_000, true)]
    [InlineData(-100_000, false)]
    [InlineData(-8, true)]
    [InlineData(-1, false)]
    [InlineData(-1, true)]
    public async Task ReadAsync_RefusesSnapshot_WhenCutShort(int keep, bool trickle)
    {
        var bytes = await WriteAsync(HeaderOf(Large()), RowsOf(Large()));
        var cut = bytes[..(keep < 0 ? bytes.Length + keep : keep)];

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(cut, trickle));

        Assert.Matches("damaged|Not a shard snapshot", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_RefusesSnapshot_WhenBytesFollowTheChecksum(bool trickle)
    {
        var bytes = await WriteAsync(HeaderOf(Large()), RowsOf(Large()));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync([.. bytes, 0], trickle));

        // A seekable source is refused before the vectors are read: its length does not add up.
        Assert.Matches(trickle ? "follow its checksum" : "bytes left before the checksum", error.Message);
    }

    [Fact]
    public async Task ReadAsync_RefusesSnapshot_WhenNotASnapshotOrOfAnotherVersion()
    {
        var bytes = ShardSnapshotCodec.Encode(ShardSnapshotCodecTests.Sample());
        bytes[4] = 2;

        var foreign = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(new byte[64], trickle: false));
        var version = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(bytes, trickle: true));

        Assert.Contains("Not a shard snapshot", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("format version 2", version.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Mismatches => new() { "more products", "fewer products", "more images", "short vectors", "negative images" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task WriteAsync_ThrowsBeforeTheChecksum_WhenRowsDoNotMatchTheHeader(string mismatch)
    {
        var snapshot = ShardSnapshotCodecTests.Sample();
        var header = HeaderOf(snapshot);
        var rows = RowsOf(snapshot).ToList();
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

        Assert.True(destination.Length < ShardSnapshotCodec.Encode(snapshot).Length, "the trailer was written");
    }

    [Fact]
    public async Task WriteAsync_Throws_WhenTheRowsChangeBetweenTheirTwoEnumerations()
    {
        var snapshot = ShardSnapshotCodecTests.Sample();
        var passes = 0;
        IEnumerable<SnapshotRow> Changing()
        {
            var rows = RowsOf(snapshot).ToList();
            if (passes++ == 1)
            {
                (rows[0], rows[1]) = (rows[1], rows[0]);
            }

            return rows;
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ShardSnapshotCodec.WriteAsync(Stream.Null, HeaderOf(snapshot), new Reenumerable(Changing), CancellationToken.None));

        Assert.Contains("must not change", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1_000, 0)]
    [InlineData(3 * 1024 * 1024 + 5, 17)]
    public async Task GraphWriteAsync_WritesTheBytesEncodeWrites_FromThePayloadsPosition(int payloadLength, int position)
    {
        var payload = new byte[position + payloadLength];
        new Random(payloadLength).NextBytes(payload);
        using var source = new MemoryStream(payload) { Position = position };
        using var destination = new MemoryStream();

        var written = await ShardGraphCodec.WriteAsync(destination, 4, 0xFEEDUL, source, CancellationToken.None);

        var encoded = ShardGraphCodec.Encode(4, 0xFEEDUL, payload.AsSpan(position));
        Assert.True(encoded.AsSpan().SequenceEqual(destination.ToArray()), "streamed graph bytes differ from the encoded ones");
        Assert.Equal(encoded.Length, written);
    }

    /// <summary>An enumerable that asks <paramref name="enumerate"/> afresh each time it is enumerated.</summary>
    private sealed class Reenumerable(Func<IEnumerable<SnapshotRow>> enumerate) : IEnumerable<SnapshotRow>
    {
        public IEnumerator<SnapshotRow> GetEnumerator() => enumerate().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
