using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class FlatVectorIndexTests
{
    public static TheoryData<DistanceMetric, int> MetricsAndDimensions()
    {
        var data = new TheoryData<DistanceMetric, int>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            // 3 and 67 are not multiples of any SIMD width, so every scorer's tail path runs.
            foreach (var dimension in new[] { 3, 67, 512 })
            {
                data.Add(metric, dimension);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MetricsAndDimensions))]
    public void Search_MatchesBruteForce_ForEveryMetricAndDimension(DistanceMetric metric, int dimension)
    {
        var random = new Random(1000 + (17 * (int)metric) + dimension);
        var products = SearchTestData.RandomProducts(random, 160, dimension);
        var byId = products.ToDictionary(product => product.Id, StringComparer.Ordinal);
        var index = SearchTestData.IndexOf(products, dimension, metric);

        var positions = 0;
        var checkedById = 0;
        for (var q = 0; q < 24; q++)
        {
            var query = SearchTestData.RandomVector(random, dimension);
            var category = q % 3 == 0 ? null : SearchTestData.Categories[random.Next(3)];
            var k = new[] { 1, 7, 20, 500 }[q % 4];

            var expected = BruteForce.Rank(products, metric, query, category);
            var actual = index.Search(query, k, category);

            checkedById += BruteForce.AssertTopK(expected, actual, k, byId, metric, query);
            positions += actual.Count;
            Assert.All(actual, hit => Assert.True(category is null || byId[hit.ProductId].Category == category));
        }

        // Near-equal scores may swap between float and double; they must stay rare.
        Assert.True(checkedById >= positions * 0.9,
            $"Only {checkedById} of {positions} positions were separated enough to check.");
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void Search_ReturnsProductOnceWithBestImage_WhenSeveralOfItsImagesLead(DistanceMetric metric)
    {
        var index = new FlatVectorIndex(2, metric);
        // "multi"'s three images are the three closest vectors to the query (1, 0), best in the middle.
        index.Upsert("multi", null, [0.98f, 0.05f, 1f, 0f, 0.97f, 0.06f]);
        index.Upsert("near", null, [0.9f, 0.3f]);
        index.Upsert("far", null, [0.6f, 0.7f]);
        index.Upsert("farthest", null, [0f, 1f]);

        var hits = index.Search([1f, 0f], 3);

        Assert.Equal(["multi", "near", "far"], hits.Select(hit => hit.ProductId));
        Assert.Equal(1, hits[0].ImageIndex);
        Assert.Equal(DistanceMetrics.HigherIsBetter(metric) ? 1f : 0f, hits[0].Score, 1e-6f);
    }

    [Fact]
    public void Search_FiltersInsideTheScan_WhenBetterProductsAreInOtherCategories()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.L2);
        index.Upsert("top-1", "tops", [0f, 0f]);
        index.Upsert("top-2", "tops", [0.1f, 0f]);
        index.Upsert("top-3", "tops", [0.2f, 0f]);
        index.Upsert("shoe-1", "shoes", [3f, 0f]);
        index.Upsert("shoe-2", "shoes", [4f, 0f]);
        index.Upsert("bare", null, [5f, 0f]);

        // A filter applied after a top-2 scan would find no shoes at all.
        var hits = index.Search([0f, 0f], 2, "shoes");

        Assert.Equal(["shoe-1", "shoe-2"], hits.Select(hit => hit.ProductId));
        Assert.Equal([3f, 4f], hits.Select(hit => hit.Score));
    }

    [Fact]
    public void Search_MatchesCategoryOrdinally_WhenCaseDiffers()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("p", "Shoes", [1f, 0f]);

        Assert.Empty(index.Search([1f, 0f], 5, "shoes"));
        Assert.Empty(index.Search([1f, 0f], 5, "unknown"));
        Assert.Equal("p", Assert.Single(index.Search([1f, 0f], 5, "Shoes")).ProductId);
    }

    [Fact]
    public void Search_ReturnsEveryProduct_WhenKExceedsProductCount()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.L1);
        index.Upsert("a", null, [1f, 1f, 2f, 2f]);
        index.Upsert("b", null, [3f, 3f]);

        var hits = index.Search([0f, 0f], int.MaxValue);

        Assert.Equal(["a", "b"], hits.Select(hit => hit.ProductId));
        Assert.Equal([2f, 6f], hits.Select(hit => hit.Score));
    }

    [Fact]
    public void Search_ScoresTrueEuclideanDistance_ForL2()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.L2);
        index.Upsert("p", null, [3f, 4f]);

        Assert.Equal(5f, Assert.Single(index.Search([0f, 0f], 1)).Score);
    }

    [Fact]
    public void Search_ScoresCosineSimilarity_WhenVectorsAreNotUnitLength()
    {
        var random = new Random(7);
        var stored = SearchTestData.RandomVector(random, 67);
        var query = SearchTestData.RandomVector(random, 67);
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] *= 40f;
        }

        var index = new FlatVectorIndex(67, DistanceMetric.Cosine);
        index.Upsert("p", null, stored);

        var hit = Assert.Single(index.Search(query, 1));

        Assert.Equal(BruteForce.Score(DistanceMetric.Cosine, query, stored), hit.Score, 1e-5);
    }

    [Fact]
    public void Search_ScoresZeroNotNaN_WhenCosineVectorsAreAllZero()
    {
        var index = new FlatVectorIndex(3, DistanceMetric.Cosine);
        index.Upsert("zero", null, [0f, 0f, 0f]);
        index.Upsert("unit", null, [1f, 0f, 0f]);

        var hits = index.Search([1f, 0f, 0f], 2);
        var fromZeroQuery = index.Search([0f, 0f, 0f], 2);

        Assert.Equal(["unit", "zero"], hits.Select(hit => hit.ProductId));
        Assert.Equal([1f, 0f], hits.Select(hit => hit.Score));
        Assert.Equal(["unit", "zero"], fromZeroQuery.Select(hit => hit.ProductId));
        Assert.All(fromZeroQuery, hit => Assert.Equal(0f, hit.Score));
    }

    [Fact]
    public void Search_Throws_WhenKIsBelowOne()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("p", null, [1f, 0f]);

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1f, 0f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1f, 0f], -3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(0)]
    public void Search_ThrowsWithSentence_WhenQueryLengthIsNotTheDimension(int length)
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);

        var error = Assert.Throws<ArgumentException>(() => index.Search(new float[length], 1));

        Assert.StartsWith($"The query has {length} values but this index holds 2-dimensional vectors.", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(3e30f)]
    public void Search_Throws_WhenQueryIsNotScorable(float value)
    {
        var index = new FlatVectorIndex(2, DistanceMetric.L2);
        index.Upsert("p", null, [1f, 0f]);

        Assert.Throws<ArgumentException>(() => index.Search([value, 0f], 1));
    }

    [Fact]
    public void Upsert_ReplacesPreviousRows_WhenProductExists()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.L2);
        index.Upsert("p", "tops", [0f, 0f, 1f, 1f, 2f, 2f]);
        index.Upsert("q", "tops", [5f, 5f]);

        index.Upsert("p", "shoes", [9f, 9f]);

        Assert.Equal(2, index.ProductCount);
        Assert.Equal(2, index.ImageCount);
        Assert.True(index.TryCopyVectors("p", out var vectors));
        Assert.Equal([9f, 9f], vectors);
        Assert.Equal(["q"], index.Search([0f, 0f], 5, "tops").Select(hit => hit.ProductId));
        var hit = Assert.Single(index.Search([0f, 0f], 5, "shoes"));
        Assert.Equal(new IndexHit("p", 0, MathF.Sqrt(162f)), hit);
    }

    [Fact]
    public void Upsert_Throws_WhenVectorsAreEmptyOrNotWholeVectors()
    {
        var index = new FlatVectorIndex(3, DistanceMetric.Dot);

        var empty = Assert.Throws<ArgumentException>(() => index.Upsert("p", null, []));
        var ragged = Assert.Throws<ArgumentException>(() => index.Upsert("p", null, [1f, 2f, 3f, 4f]));

        Assert.Contains("no vectors", empty.Message, StringComparison.Ordinal);
        Assert.Contains("not a whole number of 3-dimensional vectors", ragged.Message, StringComparison.Ordinal);
        Assert.Equal(0, index.ProductCount);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.MaxValue)]
    public void Upsert_ThrowsAndKeepsPreviousRows_WhenAValueIsNotScorable(float value)
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("p", null, [1f, 2f]);

        var error = Assert.Throws<ArgumentException>(() => index.Upsert("p", null, [1f, 1f, 0f, value]));

        Assert.Contains("Image 1 of product 'p'", error.Message, StringComparison.Ordinal);
        Assert.True(index.TryCopyVectors("p", out var vectors));
        Assert.Equal([1f, 2f], vectors);
        Assert.Equal(1, index.ImageCount);
    }

    [Fact]
    public void Upsert_StoresUnitVectors_ForCosine()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Cosine);
        index.Upsert("p", null, [3f, 4f, 0f, 0f]);

        Assert.True(index.TryCopyVectors("p", out var vectors));

        Assert.Equal([0.6f, 0.8f, 0f, 0f], vectors);
    }

    [Fact]
    public void Constructor_Throws_WhenDimensionIsBelowOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatVectorIndex(0, DistanceMetric.L2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatVectorIndex(4, (DistanceMetric)42));
    }

    [Fact]
    public void Remove_MakesProductNeverComeBack_AndLeavesOthersIntact()
    {
        var random = new Random(42);
        var products = SearchTestData.RandomProducts(random, 40, 5);
        var index = SearchTestData.IndexOf(products, 5, DistanceMetric.L2);
        var removed = products.Where((_, i) => i % 3 == 0).Select(product => product.Id).ToHashSet();

        foreach (var id in removed)
        {
            Assert.True(index.Remove(id));
            Assert.False(index.Remove(id));
        }

        var kept = products.Where(product => !removed.Contains(product.Id)).ToList();
        Assert.Equal(kept.Count, index.ProductCount);
        Assert.Equal(kept.Sum(product => product.Images.Length), index.ImageCount);
        for (var q = 0; q < 20; q++)
        {
            var hits = index.Search(SearchTestData.RandomVector(random, 5), int.MaxValue);
            Assert.Equal(kept.Count, hits.Count);
            Assert.DoesNotContain(hits, hit => removed.Contains(hit.ProductId));
        }

        foreach (var product in kept)
        {
            Assert.True(index.TryCopyVectors(product.Id, out var vectors));
            Assert.Equal(product.Flattened(), vectors);
        }
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 5)]
    [InlineData(DistanceMetric.Dot, 67)]
    public void UpsertAndRemove_AgreeWithReferenceModel_AfterManyRandomWrites(DistanceMetric metric, int dimension)
    {
        var random = new Random(2024 + dimension);
        var index = new FlatVectorIndex(dimension, metric);
        var model = new Dictionary<string, TestProduct>(StringComparer.Ordinal);

        for (var step = 0; step < 3000; step++)
        {
            // A small id space so that replaces and removes of present products are frequent.
            var id = $"p{random.Next(120)}";
            if (random.Next(3) == 0)
            {
                Assert.Equal(model.Remove(id), index.Remove(id));
            }
            else
            {
                var product = SearchTestData.RandomProducts(random, 1, dimension, maxImages: 4)[0] with { Id = id };
                index.Upsert(id, product.Category, product.Flattened());
                model[id] = product;
            }

            if (step % 250 == 0 || step == 2999)
            {
                AssertSameContents(model, index);
                var query = SearchTestData.RandomVector(random, dimension);
                var category = SearchTestData.Categories[random.Next(SearchTestData.Categories.Length)];
                var expected = BruteForce.Rank(model.Values, metric, query, category);
                BruteForce.AssertTopK(expected, index.Search(query, 10, category), 10, model, metric, query);
            }
        }
    }

    [Fact]
    public void Products_ListsIdCategoryAndImageCount_OfEveryProduct()
    {
        var index = new FlatVectorIndex(1, DistanceMetric.L1);
        index.Upsert("a", "tops", [1f, 2f, 3f]);
        index.Upsert("b", null, [4f]);
        index.Upsert("c", "bags", [5f]);
        index.Remove("a");

        Assert.Equal(
            [new IndexedProduct("b", null, 1), new IndexedProduct("c", "bags", 1)],
            index.Products.OrderBy(product => product.ProductId, StringComparer.Ordinal));
        Assert.True(index.Contains("b"));
        Assert.False(index.Contains("a"));
        Assert.False(index.TryCopyVectors("a", out _));
    }

    [Fact]
    public void Products_Throws_WhenIndexChangesDuringEnumeration()
    {
        var index = new FlatVectorIndex(1, DistanceMetric.L1);
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

    private static void AssertSameContents(Dictionary<string, TestProduct> model, FlatVectorIndex index)
    {
        Assert.Equal(model.Count, index.ProductCount);
        Assert.Equal(model.Values.Sum(product => product.Images.Length), index.ImageCount);
        Assert.Equal(
            model.Values.Select(product => new IndexedProduct(product.Id, product.Category, product.Images.Length))
                .OrderBy(product => product.ProductId, StringComparer.Ordinal),
            index.Products.OrderBy(product => product.ProductId, StringComparer.Ordinal));

        // Every product still owns exactly its own vectors, image by image: the swap-remove bookkeeping held.
        foreach (var product in model.Values)
        {
            Assert.True(index.TryCopyVectors(product.Id, out var vectors));
            Assert.Equal(product.Flattened(), vectors);
        }
    }
}
