using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Core.Tests.Search;

public sealed class Int8VectorIndexTests(Int8VectorIndexTests.ClusteredCatalog catalog)
    : IClassFixture<Int8VectorIndexTests.ClusteredCatalog>
{
    private static readonly DistanceMetric[] SupportedMetrics = [DistanceMetric.Cosine, DistanceMetric.Dot, DistanceMetric.L2];

    public static TheoryData<DistanceMetric> Metrics() => [.. SupportedMetrics];

    public static TheoryData<DistanceMetric, int> MetricsAndDimensions()
    {
        var data = new TheoryData<DistanceMetric, int>();
        foreach (var metric in SupportedMetrics)
        {
            // 3 and 67 are not multiples of any SIMD width, so the kernels' tails run.
            foreach (var dimension in new[] { 3, 67, 512 })
            {
                data.Add(metric, dimension);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_RecallsAtLeast95PercentOfExactTop20_OnClusteredData(DistanceMetric metric)
    {
        var flat = catalog.Build(new FlatVectorIndex(ClusteredCatalog.Dimension, metric));
        var int8 = catalog.Build(new Int8VectorIndex(ClusteredCatalog.Dimension, metric));

        var recall = MeanRecall(flat, int8, category: null, rerank: Int8VectorIndex.DefaultRerank);

        Assert.True(recall >= 0.95, $"recall@20 of {recall:F4} with rerank {Int8VectorIndex.DefaultRerank} is below 0.95.");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_RecallsAtLeast95PercentOfExactTop20_WithinACategory(DistanceMetric metric)
    {
        var flat = catalog.Build(new FlatVectorIndex(ClusteredCatalog.Dimension, metric));
        var int8 = catalog.Build(new Int8VectorIndex(ClusteredCatalog.Dimension, metric));

        var recall = MeanRecall(flat, int8, category: "shoes", rerank: Int8VectorIndex.DefaultRerank);

        Assert.True(recall >= 0.95, $"recall@20 of {recall:F4} within 'shoes' is below 0.95.");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_RecallsAtLeast90PercentOfExactTop20_WhenFloatsAreNotKept(DistanceMetric metric)
    {
        var flat = catalog.Build(new FlatVectorIndex(ClusteredCatalog.Dimension, metric));
        var int8 = catalog.Build(new Int8VectorIndex(ClusteredCatalog.Dimension, metric, keepFullPrecision: false));

        var recall = MeanRecall(flat, int8, category: null, rerank: 1);

        Assert.True(recall >= 0.90, $"recall@20 of {recall:F4} from int8 scores alone is below 0.90.");
    }

    [Theory]
    [MemberData(nameof(MetricsAndDimensions))]
    public void Search_ReturnsExactlyTheFlatAnswer_WhenRerankCoversEveryProduct(DistanceMetric metric, int dimension)
    {
        var random = new Random(2000 + (17 * (int)metric) + dimension);
        var products = SearchTestData.RandomProducts(random, 160, dimension);
        var flat = SearchTestData.IndexOf(products, dimension, metric);
        var int8 = Int8IndexOf(products, dimension, metric);

        for (var q = 0; q < 24; q++)
        {
            var query = SearchTestData.RandomVector(random, dimension);
            var category = q % 3 == 0 ? null : SearchTestData.Categories[random.Next(3)];
            var k = new[] { 1, 7, 20, 500 }[q % 4];

            // Same ids, same images, bit-identical scores.
            Assert.Equal(flat.Search(query, k, category), int8.Search(query, k, category, rerank: products.Count));
        }
    }

    [Fact]
    public void Search_OffersEachProductOnceWithItsBestImage_WhenOnlyKCandidatesAreKept()
    {
        // The flat index's worked example: a's images score [0.90, 0.95, 0.70], b [0.80], c [0.60].
        // Kept per row, a's images would fill both candidate places and b would be lost.
        var index = new Int8VectorIndex(2, DistanceMetric.Cosine);
        index.Upsert("a", null, [.. UnitAt(0.90), .. UnitAt(0.95), .. UnitAt(0.70)]);
        index.Upsert("b", null, UnitAt(0.80));
        index.Upsert("c", null, UnitAt(0.60));

        var hits = index.Search([1f, 0f], k: 2, rerank: 1);

        Assert.Equal(["a", "b"], hits.Select(hit => hit.ProductId));
        Assert.Equal([1, 0], hits.Select(hit => hit.ImageIndex));
        Assert.Equal(0.95f, hits[0].Score, 1e-6f);
        Assert.Equal(0.80f, hits[1].Score, 1e-6f);
    }

    [Fact]
    public void Search_ReturnsEachProductOnce_OnClusteredData()
    {
        var int8 = catalog.Build(new Int8VectorIndex(ClusteredCatalog.Dimension, DistanceMetric.Cosine));

        foreach (var query in catalog.Queries.Take(20))
        {
            var hits = int8.Search(query, 50);

            Assert.Equal(50, hits.Count);
            Assert.Equal(50, hits.Select(hit => hit.ProductId).Distinct(StringComparer.Ordinal).Count());
        }
    }

    [Fact]
    public void Search_FiltersInsideTheScan_WhenBetterProductsAreInOtherCategories()
    {
        var index = new Int8VectorIndex(2, DistanceMetric.L2);
        for (var i = 0; i < 30; i++)
        {
            index.Upsert($"top-{i:D2}", "tops", [i * 0.01f, 0f]);
        }

        index.Upsert("bag-far", "bags", [5f, 5f]);
        index.Upsert("bag-near", "bags", [1f, 1f]);

        // With one candidate per result, a filter applied after the scan would find no bag at all.
        var hits = index.Search([0f, 0f], k: 5, category: "bags", rerank: 1);

        Assert.Equal(["bag-near", "bag-far"], hits.Select(hit => hit.ProductId));
        Assert.Equal(MathF.Sqrt(2f), hits[0].Score, 1e-6f);
        Assert.Empty(index.Search([0f, 0f], k: 5, category: "Bags"));
        Assert.Empty(index.Search([0f, 0f], k: 5, category: "shoes"));
    }

    [Fact]
    public void Search_ReturnsEveryProduct_WhenKExceedsProductCount()
    {
        var index = new Int8VectorIndex(3, DistanceMetric.Dot);
        index.Upsert("x", null, [1f, 0f, 0f]);
        index.Upsert("y", null, [0f, 2f, 0f, 0f, 0f, 3f]);

        var hits = index.Search([1f, 1f, 1f], 10);

        Assert.Equal([new IndexHit("y", 1, 3f), new IndexHit("x", 0, 1f)], hits);
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Search_ReturnsScoresWithinOnePercentOfTheirScale_WhenFloatsAreNotKept(DistanceMetric metric)
    {
        var random = new Random(77);
        var products = SearchTestData.RandomProducts(random, 300, 128);
        var byId = products.ToDictionary(product => product.Id, StringComparer.Ordinal);
        var index = Int8IndexOf(products, 128, metric, keepFullPrecision: false);

        for (var q = 0; q < 10; q++)
        {
            var query = SearchTestData.RandomVector(random, 128);
            foreach (var hit in index.Search(query, 20))
            {
                var image = byId[hit.ProductId].Images[hit.ImageIndex];
                var exact = BruteForce.Score(metric, query, image);

                // The scale of a dot product is the product of the lengths; cosine's is 1.
                var tolerance = 0.01 * metric switch
                {
                    DistanceMetric.Cosine => 1,
                    DistanceMetric.Dot => Math.Sqrt(BruteForce.Score(metric, query, query) * BruteForce.Score(metric, image, image)),
                    _ => exact,
                };
                Assert.InRange(hit.Score, exact - tolerance, exact + tolerance);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void UpsertAndRemove_AgreeWithFlatIndex_AfterManyRandomWrites(DistanceMetric metric)
    {
        const int Dimension = 24;
        var random = new Random(900 + (int)metric);
        var flat = new FlatVectorIndex(Dimension, metric);
        var int8 = new Int8VectorIndex(Dimension, metric);

        for (var step = 0; step < 400; step++)
        {
            var id = $"p{random.Next(60)}";
            if (random.Next(4) == 0)
            {
                Assert.Equal(flat.Remove(id), int8.Remove(id));
            }
            else
            {
                var images = random.Next(1, 4);
                var vectors = Enumerable.Range(0, images).SelectMany(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
                var category = SearchTestData.Categories[random.Next(SearchTestData.Categories.Length)];
                flat.Upsert(id, category, vectors);
                int8.Upsert(id, category, vectors);
            }

            if (step % 20 == 19)
            {
                Assert.Equal(flat.ProductCount, int8.ProductCount);
                Assert.Equal(flat.ImageCount, int8.ImageCount);
                Assert.Equal(flat.Products.OrderBy(p => p.ProductId, StringComparer.Ordinal),
                    int8.Products.OrderBy(p => p.ProductId, StringComparer.Ordinal));
                var query = SearchTestData.RandomVector(random, Dimension);
                Assert.Equal(flat.Search(query, 100), int8.Search(query, 100, rerank: 100));
            }
        }
    }

    [Fact]
    public void Upsert_ThrowsAndKeepsPreviousRows_WhenAValueIsNotScorable()
    {
        var index = new Int8VectorIndex(2, DistanceMetric.L2);
        index.Upsert("p", "tops", [1f, 1f]);

        Assert.Throws<ArgumentException>(() => index.Upsert("p", "bags", [3f, 3f, float.NaN, 0f]));

        Assert.Equal([new IndexedProduct("p", "tops", 1)], index.Products);
        Assert.Equal(new IndexHit("p", 0, 0f), Assert.Single(index.Search([1f, 1f], 1)));
    }

    [Fact]
    public void Products_Throws_WhenIndexChangesDuringEnumeration()
    {
        var index = new Int8VectorIndex(1, DistanceMetric.Dot);
        index.Upsert("a", null, [1f]);
        index.Upsert("b", null, [2f]);

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var product in index.Products)
            {
                index.Upsert(product.ProductId + "-copy", null, [3f]);
            }
        });
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, true, 2564)]
    [InlineData(DistanceMetric.Dot, true, 2564)]
    [InlineData(DistanceMetric.L2, true, 2568)]
    [InlineData(DistanceMetric.Cosine, false, 516)]
    [InlineData(DistanceMetric.L2, false, 520)]
    public void BytesPerVector_CountsCodesScaleNormAndFloats_For512Dimensions(
        DistanceMetric metric, bool keepFullPrecision, int expected)
    {
        Assert.Equal(expected, new Int8VectorIndex(512, metric, keepFullPrecision).BytesPerVector);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(131_073)]
    public void Constructor_Throws_WhenDimensionIsOutOfRange(int dimension)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Int8VectorIndex(dimension, DistanceMetric.Cosine));
    }

    [Fact]
    public void Constructor_ThrowsNamingTheSupportedMetrics_ForL1()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Int8VectorIndex(8, DistanceMetric.L1));

        Assert.StartsWith("The int8 index supports cosine, dot and l2; use FlatVectorIndex for other metrics.", error.Message);
    }

    [Fact]
    public void Search_Throws_WhenKOrRerankIsBelowOneOrQueryIsInvalid()
    {
        var index = new Int8VectorIndex(2, DistanceMetric.Cosine);
        index.Upsert("p", null, [1f, 0f]);

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1f, 0f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1f, 0f], 1, rerank: 0));
        Assert.Throws<ArgumentException>(() => index.Search([1f, 0f, 0f], 1));
        Assert.Throws<ArgumentException>(() => index.Search([float.PositiveInfinity, 0f], 1));
    }

    private double MeanRecall(FlatVectorIndex flat, Int8VectorIndex int8, string? category, int rerank)
    {
        const int K = 20;
        var found = 0;
        var wanted = 0;
        foreach (var query in catalog.Queries)
        {
            var exact = flat.Search(query, K, category).Select(hit => hit.ProductId).ToHashSet(StringComparer.Ordinal);
            var hits = int8.Search(query, K, category, rerank);

            Assert.Equal(exact.Count, hits.Count);
            Assert.All(hits, hit => Assert.True(category is null || catalog.CategoryOf(hit.ProductId) == category));
            found += hits.Count(hit => exact.Contains(hit.ProductId));
            wanted += exact.Count;
        }

        return (double)found / wanted;
    }

    private static Int8VectorIndex Int8IndexOf(IEnumerable<TestProduct> products, int dimension, DistanceMetric metric,
        bool keepFullPrecision = true)
    {
        var index = new Int8VectorIndex(dimension, metric, keepFullPrecision);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        return index;
    }

    private static float[] UnitAt(double cosine) => [(float)cosine, (float)Math.Sqrt(1 - (cosine * cosine))];

    /// <summary>
    /// 12,000 products of 1 to 3 images (24,000 vectors of 512 values) in about 155 Gaussian clusters, and
    /// 100 queries from the same clusters; drawn once per test class from a fixed seed.
    /// </summary>
    public sealed class ClusteredCatalog
    {
        public const int Dimension = 512;

        private const int ProductCount = 12_000;

        public ClusteredCatalog()
        {
            var imageCounts = Enumerable.Range(0, ProductCount).Select(i => 1 + (i % 3)).ToArray();
            var generator = new ClusteredVectors(Dimension, ClusteredVectors.SuggestedClusterCount(imageCounts.Sum()), seed: 2024);
            Vectors = generator.Next(imageCounts.Sum());
            var offset = 0;
            Products = new List<(string, string?, int, int)>(ProductCount);
            for (var i = 0; i < ProductCount; i++)
            {
                var category = SearchTestData.Categories[i % SearchTestData.Categories.Length];
                Products.Add(($"p{i:D5}", category, offset, imageCounts[i]));
                offset += imageCounts[i] * Dimension;
            }

            Queries = Enumerable.Range(0, 100).Select(_ => generator.Next(1)).ToList();
        }

        public float[] Vectors { get; }

        public List<(string Id, string? Category, int Offset, int Images)> Products { get; }

        public List<float[]> Queries { get; }

        public string? CategoryOf(string productId) => Products[int.Parse(productId.AsSpan(1))].Category;

        public FlatVectorIndex Build(FlatVectorIndex index)
        {
            foreach (var (id, category, offset, images) in Products)
            {
                index.Upsert(id, category, Vectors.AsSpan(offset, images * Dimension));
            }

            return index;
        }

        public Int8VectorIndex Build(Int8VectorIndex index)
        {
            foreach (var (id, category, offset, images) in Products)
            {
                index.Upsert(id, category, Vectors.AsSpan(offset, images * Dimension));
            }

            return index;
        }
    }
}
