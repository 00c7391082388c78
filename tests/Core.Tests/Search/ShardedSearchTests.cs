using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// The distributed answer must not depend on how the catalog is split: searching N shards for k each
/// and merging must give exactly the answer of one index holding everything (qdrant's pagination test).
/// </summary>
public sealed class ShardedSearchTests
{
    private const int ShardCount = 4;

    public static TheoryData<DistanceMetric, int> MetricsAndDimensions()
    {
        var data = new TheoryData<DistanceMetric, int>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            data.Add(metric, 3);
            data.Add(metric, 67);
        }

        data.Add(DistanceMetric.Cosine, 512);
        data.Add(DistanceMetric.L2, 512);
        return data;
    }

    [Theory]
    [MemberData(nameof(MetricsAndDimensions))]
    public void Search_OverFourShardsMerged_EqualsOneIndex(DistanceMetric metric, int dimension)
    {
        var random = new Random(31 * (1 + (int)metric) + dimension);
        var products = SearchTestData.RandomProducts(random, 240, dimension, maxImages: 4);

        // Exact ties across shards: copies of other products' vectors under new ids, and (for cosine)
        // all-zero vectors, which score 0 against everything.
        for (var i = 0; i < 30; i++)
        {
            var source = products[random.Next(products.Count)];
            products.Add(source with { Id = $"copy-{i}-of-{source.Id}" });
        }

        products.Add(new TestProduct("zero-1", "tops", [new float[dimension]]));
        products.Add(new TestProduct("zero-2", null, [new float[dimension]]));

        var single = new FlatVectorIndex(dimension, metric);
        var shards = Enumerable.Range(0, ShardCount).Select(_ => new FlatVectorIndex(dimension, metric)).ToArray();
        foreach (var product in products)
        {
            Write(product);
        }

        // Replace and remove some, so rows and slots are shuffled differently in each index.
        for (var i = 0; i < 60; i++)
        {
            var victim = products[random.Next(products.Count)];
            if (i % 2 == 0)
            {
                Assert.Equal(single.Remove(victim.Id), shards[ShardRouter.ShardOf(victim.Id, ShardCount)].Remove(victim.Id));
            }
            else
            {
                Write(SearchTestData.RandomProducts(random, 1, dimension, maxImages: 3)[0] with { Id = victim.Id });
            }
        }

        Assert.Equal(single.ProductCount, shards.Sum(shard => shard.ProductCount));
        Assert.All(shards, shard => Assert.InRange(shard.ProductCount, 1, single.ProductCount - 1));

        for (var q = 0; q < 80; q++)
        {
            // Some queries reuse a stored vector, so the top of the list is an exact tie between copies.
            var query = q % 5 == 0
                ? products[random.Next(products.Count)].Images[0]
                : SearchTestData.RandomVector(random, dimension);
            var category = q % 2 == 0 ? null : SearchTestData.Categories[random.Next(3)];
            var k = q % 7 == 0 ? single.ProductCount + 3 : random.Next(1, 31);

            var expected = single.Search(query, k, category);
            var partials = shards.Select(shard => shard.Search(query, k, category)).ToArray();
            var merged = TopKMerge.Merge(partials, k, metric, hit => hit);

            Assert.NotEmpty(expected);
            Assert.Equal(expected, merged);
        }

        void Write(TestProduct product)
        {
            single.Upsert(product.Id, product.Category, product.Flattened());
            shards[ShardRouter.ShardOf(product.Id, ShardCount)].Upsert(product.Id, product.Category, product.Flattened());
        }
    }
}
