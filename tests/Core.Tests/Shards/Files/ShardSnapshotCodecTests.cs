using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;

namespace OutfitFinder.Core.Tests.Shards.Files;

public sealed class ShardSnapshotCodecTests
{
    internal static ShardSnapshot Sample() => new(
        Dimension: 3,
        Metric: DistanceMetric.L2,
        ReplayFromGeneration: 7,
        Products:
        [
            new SnapshotProduct("dress-1", "Dress", """{"price":12.5}""", 2),
            new SnapshotProduct("top-é✓", null, null, 1),
            new SnapshotProduct("", "", "", 0),
        ],
        Vectors: [1f, -2f, 3.5f, float.Epsilon, 0f, -0f, 1e30f, -1e-30f, 42f]);

    [Fact]
    public void Decode_ReturnsEveryField_AfterEncode()
    {
        var snapshot = Sample();

        var decoded = ShardSnapshotCodec.Decode(ShardSnapshotCodec.Encode(snapshot));

        Assert.Equal((3, DistanceMetric.L2, 7L), (decoded.Dimension, decoded.Metric, decoded.ReplayFromGeneration));
        Assert.Equal(snapshot.Products, decoded.Products);
        Assert.Equal(snapshot.Vectors.Select(BitConverter.SingleToInt32Bits), decoded.Vectors.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Encode_WritesTheDocumentedHeader_ForAnEmptyShard()
    {
        var bytes = ShardSnapshotCodec.Encode(new ShardSnapshot(4, DistanceMetric.Cosine, 3, [], []));

        Assert.Equal(40, bytes.Length);
        Assert.Equal("4F4653530100000004000000030000000000000000000000" + "0000000000000000", Convert.ToHexString(bytes, 0, 32));
        Assert.Empty(ShardSnapshotCodec.Decode(bytes).Products);
    }

    [Theory]
    [InlineData(5)]    // version
    [InlineData(9)]    // dimension
    [InlineData(40)]   // a product id
    [InlineData(-12)]  // the last float
    [InlineData(-1)]   // the checksum itself
    public void Decode_RefusesSnapshot_WhenAByteIsFlipped(int position)
    {
        var bytes = ShardSnapshotCodec.Encode(Sample());
        var index = position < 0 ? bytes.Length + position : position;
        bytes[index] ^= 0x10;

        var error = Assert.Throws<InvalidDataException>(() => ShardSnapshotCodec.Decode(bytes));

        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RefusesSnapshot_WhenCutShortOrNotASnapshot()
    {
        var bytes = ShardSnapshotCodec.Encode(Sample());

        var cut = Assert.Throws<InvalidDataException>(() => ShardSnapshotCodec.Decode(bytes.AsSpan(0, bytes.Length - 5)));
        var foreign = Assert.Throws<InvalidDataException>(() => ShardSnapshotCodec.Decode(new byte[64]));

        Assert.Contains("damaged", cut.Message, StringComparison.Ordinal);
        Assert.Contains("Not a shard snapshot", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_Throws_WhenVectorsDoNotMatchImageCounts()
    {
        var snapshot = Sample() with { Vectors = new float[8] };

        Assert.Throws<ArgumentException>(() => ShardSnapshotCodec.Encode(snapshot));
    }
}
