using OutfitFinder.Core.Shards.Files;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>Sample records and a content comparison (record equality compares arrays by reference).</summary>
internal static class ShardLogRecords
{
    public static ProductUpserted Upsert(string productId, int imageCount, int dimension, int seed,
        string? category = "shoes", string? metadataJson = """{"price":59.9}""")
    {
        var random = new Random(seed);
        var vectors = new float[imageCount * dimension];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return new ProductUpserted(productId, category, metadataJson, imageCount, vectors);
    }

    /// <summary>A few upserts and deletes of varied sizes, as a shard would log them.</summary>
    public static List<ShardLogRecord> Mixed() =>
    [
        Upsert("sku-1", imageCount: 2, dimension: 8, seed: 1),
        Upsert("靴 👟 / ..", imageCount: 1, dimension: 8, seed: 2, category: null, metadataJson: null),
        new ProductDeleted("sku-1"),
        Upsert("sku-3", imageCount: 0, dimension: 8, seed: 3),
        Upsert("sku-4", imageCount: 3, dimension: 8, seed: 4, category: "dresses"),
    ];

    public static void AssertSame(IReadOnlyList<ShardLogRecord> expected, IReadOnlyList<ShardLogRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSame(expected[i], actual[i]);
        }
    }

    public static void AssertSame(ShardLogRecord expected, ShardLogRecord actual)
    {
        switch (expected)
        {
            case ProductUpserted upsert:
                var other = Assert.IsType<ProductUpserted>(actual);
                Assert.Equal(upsert.ProductId, other.ProductId);
                Assert.Equal(upsert.Category, other.Category);
                Assert.Equal(upsert.MetadataJson, other.MetadataJson);
                Assert.Equal(upsert.ImageCount, other.ImageCount);
                // Bit patterns, so NaN payloads and -0 count as the same float only when copied exactly.
                Assert.Equal(upsert.Vectors.Select(BitConverter.SingleToInt32Bits),
                    other.Vectors.Select(BitConverter.SingleToInt32Bits));
                break;
            case ProductDeleted delete:
                Assert.Equal(delete, Assert.IsType<ProductDeleted>(actual));
                break;
            default:
                Assert.Fail($"Unexpected record type {expected.GetType().Name}.");
                break;
        }
    }
}
