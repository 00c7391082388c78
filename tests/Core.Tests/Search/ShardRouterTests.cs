using System.IO.Hashing;
using System.Text;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class ShardRouterTests
{
    // Recorded when the router was written; like the test vectors below, they must never change.
    private static readonly int[] PinnedShards = [2, 1, 2, 2, 3];

    [Theory]
    // Published XXH32 (seed 0) test vectors: with int.MaxValue shards the modulo leaves the hash itself,
    // so these pin the hash, the seed and the encoding. If this fails, existing catalogs would be misrouted.
    [InlineData("", 0x02CC5D05)]
    [InlineData("a", 0x550D7456)]
    [InlineData("abc", 0x32D153FF)]
    public void ShardOf_ReturnsPinnedXxHash32_ForPublishedTestVectors(string productId, int expected)
    {
        Assert.Equal(expected, ShardRouter.ShardOf(productId, int.MaxValue));
    }

    [Fact]
    public void ShardOf_ReturnsPinnedShards_ForKnownIds()
    {
        var shards = new[] { "sku-1", "sku-2", "sku-3", "dress/red/42", "chaussure-été" }
            .Select(id => ShardRouter.ShardOf(id, 4));

        Assert.Equal(PinnedShards, shards);
    }

    [Fact]
    public void ShardOf_IsTheSame_OnEveryCall()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = $"product-{i}";
            Assert.Equal(ShardRouter.ShardOf(id, 7), ShardRouter.ShardOf(new string(id.AsSpan()), 7));
        }
    }

    [Fact]
    public void ShardOf_SpreadsTenThousandIdsOverFourShards_WithinTenPercentOfEven()
    {
        var counts = new int[4];
        for (var i = 0; i < 10_000; i++)
        {
            counts[ShardRouter.ShardOf($"product-{i}", 4)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 2250, 2750));
    }

    [Fact]
    public void ShardOf_HashesUtf8Bytes_ForLongAndNonAsciiIds()
    {
        var id = string.Concat(Enumerable.Repeat("robe-été-👗-", 60));

        var expected = (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(id)) % 13u);

        Assert.Equal(expected, ShardRouter.ShardOf(id, 13));
    }

    [Fact]
    public void ShardOf_ReturnsZero_WhenThereIsOneShard()
    {
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(0, ShardRouter.ShardOf($"p{i}", 1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ShardOf_Throws_WhenShardCountIsBelowOne(int shardCount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardRouter.ShardOf("p", shardCount));
    }
}
