using System.Buffers.Binary;
using System.IO.Hashing;
using OutfitFinder.Core.Shards.Files;

namespace OutfitFinder.Core.Tests.Shards.Files;

public sealed class ShardLogCodecTests
{
    public static TheoryData<string, ProductUpserted> Upserts => new()
    {
        { "ascii id, category and metadata", ShardLogRecords.Upsert("sku-1", imageCount: 1, dimension: 4, seed: 1) },
        { "unicode everywhere", ShardLogRecords.Upsert("靴 👟 / ..\\ é", 2, 3, seed: 2, category: "chaussures é", metadataJson: """{"name":"Bottes d'été 👢"}""") },
        { "null category and metadata", ShardLogRecords.Upsert("sku-2", 1, 4, seed: 3, category: null, metadataJson: null) },
        { "empty strings kept apart from null", ShardLogRecords.Upsert("sku-3", 1, 4, seed: 4, category: "", metadataJson: "") },
        { "no images", new ProductUpserted("sku-4", "bags", null, 0, []) },
        { "many images", ShardLogRecords.Upsert("sku-5", imageCount: 40, dimension: 512, seed: 5) },
        { "special floats", new ProductUpserted("sku-6", null, null, 2, [float.NaN, -0f, float.PositiveInfinity, float.Epsilon, float.MaxValue, float.NegativeInfinity]) },
    };

    [Theory]
    [MemberData(nameof(Upserts))]
    public void Encode_RoundTripsThroughReader_ForUpsert(string shape, ProductUpserted upsert)
    {
        var frame = ShardLogCodec.Encode(upsert);

        var read = ShardLogReader.Read(frame);

        Assert.False(read.HasDamagedTail, shape);
        Assert.Equal(frame.Length, read.ValidLengthBytes);
        Assert.Equal(ShardLogCodec.GetFrameLength(upsert), frame.Length);
        ShardLogRecords.AssertSame([upsert], read.Records);
    }

    [Theory]
    [InlineData("sku-1")]
    [InlineData("靴 👟 / ..")]
    [InlineData(" ")]
    public void Encode_RoundTripsThroughReader_ForDelete(string productId)
    {
        var read = ShardLogReader.Read(ShardLogCodec.Encode(new ProductDeleted(productId)));

        Assert.Equal(ShardLogDamage.None, read.Damage);
        Assert.Equal(new ProductDeleted(productId), Assert.Single(read.Records));
    }

    [Fact]
    public void Encode_WritesDocumentedFrame_ForDeleteOfA()
    {
        byte[] payload = [0x02, 0x01, 0x00, 0x00, 0x00, 0x61];
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32.HashToUInt32(payload));

        var frame = ShardLogCodec.Encode(new ProductDeleted("a"));

        Assert.Equal([0xC1, 0x06, 0x00, 0x00, 0x00, .. payload, .. crc], frame);
    }

    [Fact]
    public void Encode_StoresFloatsAsRawLittleEndianBlock_ForUpsert()
    {
        var upsert = new ProductUpserted("p", null, null, 1, [1f, -2.5f]);

        var frame = ShardLogCodec.Encode(upsert);

        // Floats end the payload, right before the 4-byte CRC.
        var floats = frame.AsSpan(frame.Length - 4 - 8, 8);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(floats));
        Assert.Equal(-2.5f, BinaryPrimitives.ReadSingleLittleEndian(floats[4..]));
    }

    [Fact]
    public void Encode_ConcatenatesFramesInOrder_ForBatch()
    {
        var records = ShardLogRecords.Mixed();

        var batch = ShardLogCodec.Encode(records);

        Assert.Equal(records.SelectMany(ShardLogCodec.Encode), batch);
        ShardLogRecords.AssertSame(records, ShardLogReader.Read(batch).Records);
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(0, 4)]
    [InlineData(3, 0)]
    [InlineData(4, 2)]
    [InlineData(-1, 0)]
    public void Encode_ThrowsArgumentException_WhenVectorsDoNotSplitIntoImageRows(int imageCount, int floatCount)
    {
        var upsert = new ProductUpserted("p", null, null, imageCount, new float[floatCount]);

        var e = Assert.Throws<ArgumentException>(() => ShardLogCodec.Encode(upsert));

        Assert.Contains($"{imageCount} images but {floatCount} floats", e.Message);
    }

    [Fact]
    public void Encode_ThrowsArgumentException_WhenIdHasLoneSurrogate()
    {
        // Encoded leniently, "a\uD800" and "a\uDBFF" would both become "a\uFFFD": two products, one id.
        var e = Assert.Throws<ArgumentException>(() => ShardLogCodec.Encode(new ProductDeleted("a\uD800")));

        Assert.Contains("lone surrogate", e.Message);
    }

    [Fact]
    public void Encode_ThrowsArgumentException_WhenPayloadExceedsLimit()
    {
        var floats = ShardLogCodec.MaxPayloadBytes / sizeof(float);
        var upsert = new ProductUpserted("p", null, null, 1, new float[floats]);

        var e = Assert.Throws<ArgumentException>(() => ShardLogCodec.Encode(upsert));

        Assert.Contains($"at most {ShardLogCodec.MaxPayloadBytes}", e.Message);
    }
}
