using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// One clustered catalog per metric, built once for the class: 10 000 vectors of 128 values in 100 Gaussian
/// clusters (spread 0.5, so the top 20 must be ranked among ~100 near-equidistant cluster mates) and 100 queries
/// from the same clusters. Products are "0" … "9999", one image each, categories "c0" … "c3" in turn.
/// </summary>
public sealed class HnswClusteredCatalogs
{
    public const int Count = 10_000;
    public const int Dimension = 128;
    public const int QueryCount = 100;
    public const int K = 20;

    private readonly Dictionary<DistanceMetric, Lazy<(HnswIndex Hnsw, FlatVectorIndex Flat)>> _built;

    public HnswClusteredCatalogs()
    {
        var source = new ClusteredVectors(Dimension, ClusteredVectors.SuggestedClusterCount(Count), seed: 7);
        Vectors = source.Next(Count);
        Queries = source.Next(QueryCount);
        _built = Enum.GetValues<DistanceMetric>().ToDictionary(
            metric => metric,
            metric => new Lazy<(HnswIndex, FlatVectorIndex)>(() => Build(metric)));
    }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public static string CategoryOf(int i) => $"c{i % 4}";

    public ReadOnlySpan<float> Query(int q) => Queries.AsSpan(q * Dimension, Dimension);

    public (HnswIndex Hnsw, FlatVectorIndex Flat) For(DistanceMetric metric) => _built[metric].Value;

    private (HnswIndex, FlatVectorIndex) Build(DistanceMetric metric)
    {
        var hnsw = new HnswIndex(Dimension, metric);
        var flat = new FlatVectorIndex(Dimension, metric);
        for (var i = 0; i < Count; i++)
        {
            var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var vector = Vectors.AsSpan(i * Dimension, Dimension);
            hnsw.Upsert(id, CategoryOf(i), vector);
            flat.Upsert(id, CategoryOf(i), vector);
        }

        return (hnsw, flat);
    }
}

public sealed class HnswIndexTests(HnswClusteredCatalogs catalogs) : IClassFixture<HnswClusteredCatalogs>
{
    private const int K = HnswClusteredCatalogs.K;

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.L2)]
    public void Search_RecallAt20IsAtLeast95Percent_OnClusteredDataAtDefaultEf(DistanceMetric metric)
    {
        var (hnsw, flat) = catalogs.For(metric);

        var recall = Recall(hnsw, flat, HnswIndex.DefaultEf, category: null);

        Assert.True(recall >= 0.95, $"recall@{K} for {metric} was {recall:F4}");
    }

    [Fact]
    public void Search_RecallNeverFalls_AsEfGrows()
    {
        var (hnsw, flat) = catalogs.For(DistanceMetric.L2);

        var recalls = new[] { 20, 32, 64, 128, 256 }.Select(ef => Recall(hnsw, flat, ef, category: null)).ToArray();

        for (var i = 1; i < recalls.Length; i++)
        {
            Assert.True(recalls[i] >= recalls[i - 1], $"recalls by ef: {string.Join(", ", recalls)}");
        }

        Assert.True(recalls[^1] >= 0.99, $"recall at ef 256 was {recalls[^1]:F4}");
    }

    [Fact]
    public void Search_ReturnsScoresOfTheFlatIndex_ForTheSameRows()
    {
        var (hnsw, flat) = catalogs.For(DistanceMetric.Cosine);

        var hits = hnsw.Search(catalogs.Query(0), K, ef: 256);
        var exact = flat.Search(catalogs.Query(0), K);

        Assert.Equal(exact, hits);
    }

    [Fact]
    public void Search_FilteredRecallIsAtLeast95Percent_WhenTheFilterIsWalkedInTheGraph()
    {
        // "c1" holds a quarter of the rows: above the 0.08 threshold, so the graph is walked.
        var (hnsw, flat) = catalogs.For(DistanceMetric.Cosine);

        var recall = Recall(hnsw, flat, HnswIndex.DefaultEf, category: "c1");

        Assert.True(recall >= 0.95, $"filtered recall@{K} was {recall:F4}");
        for (var q = 0; q < HnswClusteredCatalogs.QueryCount; q++)
        {
            Assert.All(hnsw.Search(catalogs.Query(q), K, "c1"),
                hit => Assert.Equal("c1", HnswClusteredCatalogs.CategoryOf(int.Parse(hit.ProductId, System.Globalization.CultureInfo.InvariantCulture))));
        }
    }

    [Fact]
    public void Search_MatchesTheExactScan_WhenTheFilterIsSelective()
    {
        // Every 20th product is "rare": 5 % of the rows, under the 8 % threshold.
        var random = new Random(11);
        var products = SearchTestData.RandomProducts(random, 2_000, dimension: 24)
            .Select((product, i) => product with { Category = i % 20 == 0 ? "rare" : "common" })
            .ToList();
        var hnsw = Build(products, 24, DistanceMetric.L2, new HnswOptions(M: 4, EfConstruction: 8));
        var flat = SearchTestData.IndexOf(products, 24, DistanceMetric.L2);

        for (var q = 0; q < 20; q++)
        {
            var query = SearchTestData.RandomVector(random, 24);
            Assert.Equal(flat.Search(query, 10, "rare"), hnsw.Search(query, 10, "rare", ef: 1));
        }
    }

    [Fact]
    public void Search_ScansOrWalksAsTold_WhateverTheCategoryShare()
    {
        // "common" is 95 % of the rows, "rare" 5 %: Auto would walk the first and scan the second.
        var random = new Random(12);
        var products = SearchTestData.RandomProducts(random, 2_000, dimension: 24)
            .Select((product, i) => product with { Category = i % 20 == 0 ? "rare" : "common" })
            .ToList();
        var hnsw = Build(products, 24, DistanceMetric.L2, new HnswOptions(M: 4, EfConstruction: 8));
        var flat = SearchTestData.IndexOf(products, 24, DistanceMetric.L2);
        var categoryOf = products.ToDictionary(product => product.Id, product => product.Category);

        for (var q = 0; q < 20; q++)
        {
            var query = SearchTestData.RandomVector(random, 24);

            // A scan is exact for any share, even a walk-sized one at ef 1.
            Assert.Equal(flat.Search(query, 10, "common"), hnsw.Search(query, 10, "common", ef: 1, HnswFilterStrategy.Scan));

            // A walk keeps only the category, even a rare one.
            var walked = hnsw.Search(query, 10, "rare", ef: 1, HnswFilterStrategy.Walk);
            Assert.Equal(10, walked.Count);
            Assert.All(walked, hit => Assert.Equal("rare", categoryOf[hit.ProductId]));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => hnsw.Search(new float[24], 10, "rare", filter: (HnswFilterStrategy)7));
    }

    [Fact]
    public void Search_ReturnsEachProductOnceWithItsBestImage_WhenProductsHaveSeveralImages()
    {
        var random = new Random(5);
        var products = SearchTestData.RandomProducts(random, 1_500, dimension: 16, maxImages: 4);
        var hnsw = Build(products, 16, DistanceMetric.Cosine, new HnswOptions(EfConstruction: 64));
        var flat = SearchTestData.IndexOf(products, 16, DistanceMetric.Cosine);
        var found = 0;

        for (var q = 0; q < 30; q++)
        {
            var query = SearchTestData.RandomVector(random, 16);
            var hits = hnsw.Search(query, K, ef: 16);
            var exact = flat.Search(query, K);

            Assert.Equal(K, hits.Count);
            Assert.Equal(K, hits.Select(hit => hit.ProductId).Distinct().Count());
            found += hits.Intersect(exact).Count();
        }

        // Intersecting whole hits (id, image, score) also checks that the best image was the one reported.
        Assert.True(found >= 0.95 * 30 * K, $"{found} of {30 * K} exact hits found");
    }

    [Fact]
    public void Remove_ExcludesTheProductAndCountsItsRowsAsTombstones()
    {
        var random = new Random(3);
        var products = SearchTestData.RandomProducts(random, 500, dimension: 8, maxImages: 3);
        var hnsw = Build(products, 8, DistanceMetric.L2);
        var query = products[42].Images[0];
        Assert.Equal(products[42].Id, hnsw.Search(query, 1)[0].ProductId);

        Assert.True(hnsw.Remove(products[42].Id));
        Assert.False(hnsw.Remove(products[42].Id));

        Assert.DoesNotContain(hnsw.Search(query, 50, ef: 200), hit => hit.ProductId == products[42].Id);
        Assert.Equal(products[42].Images.Length, hnsw.TombstoneCount);
        Assert.Equal(499, hnsw.ProductCount);
        Assert.False(hnsw.Contains(products[42].Id));
    }

    [Fact]
    public void Upsert_TombstonesTheOldRows_WhenAProductIsReplaced()
    {
        var hnsw = new HnswIndex(2, DistanceMetric.L2);
        hnsw.Upsert("a", "tops", [0f, 0f, 1f, 1f]);
        hnsw.Upsert("b", "tops", [5f, 5f]);

        hnsw.Upsert("a", "shoes", [9f, 9f]);

        Assert.Equal(2, hnsw.TombstoneCount);
        Assert.Equal(2, hnsw.ImageCount);
        Assert.Equal([new IndexHit("b", 0, 0f)], hnsw.Search([5f, 5f], 1, "tops"));
        Assert.Equal(new IndexHit("a", 0, 0f), hnsw.Search([9f, 9f], 5)[0]);
        Assert.Empty(hnsw.Search([0f, 0f], 5, "bags"));
    }

    [Fact]
    public void Load_AnswersExactlyAsTheSavedIndex_AfterRemovals()
    {
        var random = new Random(21);
        var products = SearchTestData.RandomProducts(random, 1_000, dimension: 16);
        var hnsw = Build(products, 16, DistanceMetric.Cosine, new HnswOptions(M: 8, EfConstruction: 40));
        hnsw.Remove(products[0].Id);
        hnsw.Remove(products[1].Id);
        using var stream = new MemoryStream();

        hnsw.Save(stream);
        stream.Position = 0;
        var loaded = HnswIndex.Load(stream);

        Assert.Equal((hnsw.ProductCount, hnsw.ImageCount, hnsw.TombstoneCount), (loaded.ProductCount, loaded.ImageCount, loaded.TombstoneCount));
        for (var q = 0; q < 50; q++)
        {
            var query = SearchTestData.RandomVector(random, 16);
            var category = SearchTestData.Categories[q % SearchTestData.Categories.Length];
            Assert.Equal(hnsw.Search(query, 10, category, ef: 10), loaded.Search(query, 10, category, ef: 10));
        }

        // A reloaded index also goes on growing exactly as the original: levels do not depend on generator state.
        var extra = SearchTestData.RandomVector(random, 16);
        hnsw.Upsert("extra", null, extra);
        loaded.Upsert("extra", null, extra);
        Assert.Equal(Saved(hnsw), Saved(loaded));
    }

    [Fact]
    public void Load_Throws_WhenTheSavedBytesAreCorrupt()
    {
        var hnsw = Build(SearchTestData.RandomProducts(new Random(2), 50, dimension: 4), 4, DistanceMetric.Dot);
        var bytes = Saved(hnsw);
        bytes[bytes.Length / 2] ^= 0x40;

        // Refused either by the structure checks made as it streams in or by the checksum at the end.
        var corrupt = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(bytes)));
        Assert.Contains("corrupt", corrupt.Message, StringComparison.Ordinal);

        // A flipped bit inside a vector passes every structure check: only the checksum can see it.
        var vectorBit = Saved(hnsw);
        vectorBit[100] ^= 0x01;
        var checksum = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(vectorBit)));
        Assert.Contains("checksum", checksum.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(bytes, 0, bytes.Length - 40)));
    }

    [Fact]
    public void Upsert_BuildsTheSameGraph_ForTheSameSeed_AndAnotherForAnother()
    {
        var products = SearchTestData.RandomProducts(new Random(8), 300, dimension: 8);

        var first = Saved(Build(products, 8, DistanceMetric.L2, new HnswOptions(Seed: 1)));
        var again = Saved(Build(products, 8, DistanceMetric.L2, new HnswOptions(Seed: 1)));
        var other = Saved(Build(products, 8, DistanceMetric.L2, new HnswOptions(Seed: 2)));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Constructor_Throws_WhenAnOptionIsOutOfRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(8, DistanceMetric.L2, new HnswOptions(M: 1)));
        Assert.Equal("M", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(8, DistanceMetric.L2, new HnswOptions(ExactFilterFraction: 1.5)));
    }

    private double Recall(HnswIndex hnsw, FlatVectorIndex flat, int ef, string? category)
    {
        var found = 0;
        var wanted = 0;
        for (var q = 0; q < HnswClusteredCatalogs.QueryCount; q++)
        {
            var truth = flat.Search(catalogs.Query(q), K, category).Select(hit => hit.ProductId).ToHashSet();
            found += hnsw.Search(catalogs.Query(q), K, category, ef).Count(hit => truth.Contains(hit.ProductId));
            wanted += truth.Count;
        }

        return (double)found / wanted;
    }

    private static HnswIndex Build(IEnumerable<TestProduct> products, int dimension, DistanceMetric metric, HnswOptions? options = null)
    {
        var index = new HnswIndex(dimension, metric, options);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        return index;
    }

    private static byte[] Saved(HnswIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }
}
