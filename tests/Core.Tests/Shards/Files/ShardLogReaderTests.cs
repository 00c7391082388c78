using System.Buffers.Binary;
using System.IO.Hashing;
using OutfitFinder.Core.Shards.Files;

namespace OutfitFinder.Core.Tests.Shards.Files;

public sealed class ShardLogReaderTests
{
    [Fact]
    public void Read_ReturnsEveryRecordInOrder_WhenLogIsWhole()
    {
        var records = ShardLogRecords.Mixed();
        var log = ShardLogCodec.Encode(records);

        var read = ShardLogReader.Read(log);

        ShardLogRecords.AssertSame(records, read.Records);
        Assert.Equal(log.Length, read.ValidLengthBytes);
        Assert.Equal(log.Length, read.TotalLengthBytes);
        Assert.Equal(ShardLogDamage.None, read.Damage);
    }

    [Fact]
    public void Read_ReturnsNothing_WhenLogIsEmpty()
    {
        var read = ShardLogReader.Read([]);

        Assert.Empty(read.Records);
        Assert.Equal(0, read.ValidLengthBytes);
        Assert.False(read.HasDamagedTail);
    }

    [Fact]
    public void Read_KeepsEarlierRecords_WhenLastRecordIsTornAtEveryOffset()
    {
        var records = ShardLogRecords.Mixed();
        var lastStart = ShardLogCodec.Encode(records[..^1]).Length;
        var log = ShardLogCodec.Encode(records);

        for (var cut = lastStart + 1; cut < log.Length; cut++)
        {
            var read = ShardLogReader.Read(log.AsSpan(0, cut));

            ShardLogRecords.AssertSame(records[..^1], read.Records);
            Assert.Equal(lastStart, read.ValidLengthBytes);
            Assert.Equal(cut, read.TotalLengthBytes);
            Assert.Equal(ShardLogDamage.TruncatedFrame, read.Damage);
        }
    }

    [Fact]
    public void Read_StopsBeforeMiddleRecord_WhenAnyOneOfItsBitsIsFlipped()
    {
        var records = ShardLogRecords.Mixed();
        var middleStart = ShardLogCodec.Encode(records[..2]).Length;
        var middleLength = ShardLogCodec.GetFrameLength(records[2]);
        var log = ShardLogCodec.Encode(records);

        for (var bit = 0; bit < middleLength * 8; bit++)
        {
            var damaged = (byte[])log.Clone();
            damaged[middleStart + bit / 8] ^= (byte)(1 << (bit % 8));

            var read = ShardLogReader.Read(damaged);

            ShardLogRecords.AssertSame(records[..2], read.Records);
            Assert.Equal(middleStart, read.ValidLengthBytes);
            Assert.True(read.HasDamagedTail, $"flipping bit {bit} of the middle record went unnoticed");
        }
    }

    [Fact]
    public void Read_ReportsUnknownFormat_WhenTailIsZeroFilled()
    {
        var good = ShardLogCodec.Encode(ShardLogRecords.Mixed());

        var read = ShardLogReader.Read([.. good, .. new byte[64]]);

        Assert.Equal(good.Length, read.ValidLengthBytes);
        Assert.Equal(ShardLogDamage.UnknownFormat, read.Damage);
        Assert.Equal(5, read.Records.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-7)]
    [InlineData(ShardLogCodec.MaxPayloadBytes + 1)]
    [InlineData(int.MaxValue)]
    public void Read_ReportsBadLength_WhenDeclaredLengthIsImpossible(int declaredLength)
    {
        var frame = new byte[64];
        frame[0] = ShardLogCodec.FrameMarkerV1;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), declaredLength);

        var read = ShardLogReader.Read(frame);

        Assert.Empty(read.Records);
        Assert.Equal(0, read.ValidLengthBytes);
        Assert.Equal(ShardLogDamage.BadLength, read.Damage);
    }

    [Theory]
    [InlineData(new byte[] { 9, 1, 0, 0, 0, 0x61 })] // unknown kind
    [InlineData(new byte[] { 2, 5, 0, 0, 0, 0x61 })] // id longer than the payload
    [InlineData(new byte[] { 2, 0xFF, 0xFF, 0xFF, 0xFF })] // null product id
    [InlineData(new byte[] { 2, 1, 0, 0, 0, 0x61, 0 })] // trailing byte after a delete
    [InlineData(new byte[] { 2, 1, 0, 0, 0, 0xC3 })] // invalid UTF-8
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0x61, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })] // 2 images, 1 float
    public void Read_ReportsMalformedPayload_WhenChecksumMatchesButFieldsDoNot(byte[] payload)
    {
        var good = ShardLogCodec.Encode(new ProductDeleted("first"));
        var frame = new byte[ShardLogCodec.FrameOverheadBytes + payload.Length];
        frame[0] = ShardLogCodec.FrameMarkerV1;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(5 + payload.Length), Crc32.HashToUInt32(payload));

        var read = ShardLogReader.Read([.. good, .. frame]);

        Assert.Equal(new ProductDeleted("first"), Assert.Single(read.Records));
        Assert.Equal(good.Length, read.ValidLengthBytes);
        Assert.Equal(ShardLogDamage.MalformedPayload, read.Damage);
    }

    [Fact]
    public void Read_NeverThrowsAndCountsOnlyWholeFrames_ForRandomDamage()
    {
        var random = new Random(20240611);
        var good = ShardLogCodec.Encode(ShardLogRecords.Mixed());

        for (var round = 0; round < 2_000; round++)
        {
            byte[] log;
            if (round % 2 == 0)
            {
                log = new byte[random.Next(0, 300)];
                random.NextBytes(log);
                if (log.Length > 0 && round % 4 == 0)
                {
                    log[0] = ShardLogCodec.FrameMarkerV1;
                }
            }
            else
            {
                log = (byte[])good.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    log[random.Next(log.Length)] = (byte)random.Next(256);
                }
            }

            var read = ShardLogReader.Read(log);

            Assert.Equal(read.Records.Sum(ShardLogCodec.GetFrameLength), read.ValidLengthBytes);
            Assert.Equal(read.ValidLengthBytes < log.Length, read.HasDamagedTail);
        }
    }
}
