using System.Globalization;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// <see cref="HnswIndex.UpsertMany"/>: the clustered catalog of <see cref="HnswClusteredCatalogs"/> (10 000 × 128,
/// seed 7) built on four threads must reach the recall the sequential build is held to.
/// </summary>
public sealed class HnswParallelBuildTests(HnswClusteredCatalogs catalogs) : IClassFixture<HnswClusteredCatalogs>
{
    private const int K = HnswClusteredCatalogs.K;

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.L2)]
    public void UpsertMany_OnFourThreads_KeepsRecallAt20AtLeast95Percent(DistanceMetric metric)
    {
        var (_, flat) = catalogs.For(metric);
        var hnsw = new HnswIndex(HnswClusteredCatalogs.Dimension, metric);

        hnsw.UpsertMany(Products(), threads: 4);

        Assert.Equal(HnswClusteredCatalogs.Count, hnsw.ProductCount);
        var recall = Recall(hnsw, flat, HnswIndex.DefaultEf);
        Assert.True(recall >= 0.95, $"recall@{K} for {metric} after a 4-thread build was {recall:F4}");
    }

    [Fact]
    public void UpsertMany_OnOneThread_BuildsTheGraphOfUpsertsInTurn()
    {
        var random = new Random(31);
        var products = SearchTestData.RandomProducts(random, 500, dimension: 16);
        var options = new HnswOptions(M: 8, EfConstruction: 40);
        var oneByOne = new HnswIndex(16, DistanceMetric.Cosine, options);
        foreach (var product in products)
        {
            oneByOne.Upsert(product.Id, product.Category, product.Flattened());
        }

        var bulk = new HnswIndex(16, DistanceMetric.Cosine, options);
        bulk.UpsertMany([.. products.Select(p => new ProductToIndex(p.Id, p.Category, p.Flattened()))], threads: 1);

        Assert.Equal(Saved(oneByOne), Saved(bulk));
    }

    [Fact]
    public void Load_AnswersExactlyAsAParallelBuiltIndex()
    {
        var random = new Random(32);
        var products = SearchTestData.RandomProducts(random, 2_000, dimension: 16);
        var hnsw = new HnswIndex(16, DistanceMetric.Cosine, new HnswOptions(M: 8, EfConstruction: 40));
        hnsw.UpsertMany([.. products.Select(p => new ProductToIndex(p.Id, p.Category, p.Flattened()))], threads: 4);
        using var stream = new MemoryStream();

        hnsw.Save(stream);
        stream.Position = 0;
        var loaded = HnswIndex.Load(stream);

        for (var q = 0; q < 50; q++)
        {
            var query = SearchTestData.RandomVector(random, 16);
            var category = SearchTestData.Categories[q % SearchTestData.Categories.Length];
            Assert.Equal(hnsw.Search(query, 10, category, ef: 20), loaded.Search(query, 10, category, ef: 20));
        }
    }

    [Fact]
    public void UpsertMany_ReplacesEarlierEntriesOfTheSameProduct()
    {
        var hnsw = new HnswIndex(2, DistanceMetric.Cosine);
        hnsw.Upsert("a", "tops", [1, 0]);

        hnsw.UpsertMany(
            [new ProductToIndex("a", "shoes", new float[] { 0, 1 }), new ProductToIndex("b", null, new float[] { 1, 1 }),
             new ProductToIndex("c", null, new float[] { -1, 0 }), new ProductToIndex("b", null, new float[] { 1, 0 })],
            threads: 3);

        Assert.Equal((3, 3), (hnsw.ProductCount, hnsw.ImageCount));
        Assert.Equal(2, hnsw.TombstoneCount);
        Assert.Equal(["b", "a", "c"], hnsw.Search([1, 0], 3, ef: 10).Select(hit => hit.ProductId));
        Assert.Equal("a", Assert.Single(hnsw.Search([1, 0], 3, "shoes")).ProductId);
    }

    [Fact]
    public void UpsertMany_LeavesTheIndexUnchanged_WhenAProductIsInvalid()
    {
        var hnsw = new HnswIndex(2, DistanceMetric.L2);
        hnsw.Upsert("a", null, [1, 0]);

        var error = Assert.Throws<ArgumentException>(() => hnsw.UpsertMany(
            [new ProductToIndex("b", null, new float[] { 0, 1 }), new ProductToIndex("c", null, new float[] { float.NaN, 0 })],
            threads: 2));

        Assert.Contains("'c'", error.Message, StringComparison.Ordinal);
        Assert.Equal((1, 1), (hnsw.ProductCount, hnsw.ImageCount));
        Assert.False(hnsw.Contains("b"));
    }

    private ProductToIndex[] Products() =>
    [
        .. Enumerable.Range(0, HnswClusteredCatalogs.Count).Select(i => new ProductToIndex(
            i.ToString(CultureInfo.InvariantCulture), HnswClusteredCatalogs.CategoryOf(i),
            catalogs.Vectors.AsMemory(i * HnswClusteredCatalogs.Dimension, HnswClusteredCatalogs.Dimension))),
    ];

    private double Recall(HnswIndex hnsw, FlatVectorIndex flat, int ef)
    {
        var found = 0;
        var wanted = 0;
        for (var q = 0; q < HnswClusteredCatalogs.QueryCount; q++)
        {
            var truth = flat.Search(catalogs.Query(q), K).Select(hit => hit.ProductId).ToHashSet();
            found += hnsw.Search(catalogs.Query(q), K, category: null, ef).Count(hit => truth.Contains(hit.ProductId));
            wanted += truth.Count;
        }

        return (double)found / wanted;
    }

    private static byte[] Saved(HnswIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }
}
