using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class FlatVectorIndexBatchTests
{
    private const int Dimension = 37;

    public static TheoryData<DistanceMetric, string?> MetricsAndFilters()
    {
        var data = new TheoryData<DistanceMetric, string?>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            data.Add(metric, null);
            data.Add(metric, "shoes");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MetricsAndFilters))]
    public void SearchBatch_ReturnsExactlyWhatEachQueryAloneReturns(DistanceMetric metric, string? category)
    {
        // 700 products of 1–3 images: more rows than one kernel block, so the batch crosses block edges.
        var random = new Random(11);
        var index = SearchTestData.IndexOf(SearchTestData.RandomProducts(random, 700, Dimension), Dimension, metric);
        var queries = Enumerable.Range(0, 11).Select(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();

        var answers = index.SearchBatch(queries.SelectMany(query => query).ToArray(), 10, category);

        Assert.Equal(queries.Length, answers.Length);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(index.Search(queries[q], 10, category), answers[q]);
        }
    }

    [Fact]
    public void SearchBatch_MatchesTheDoublePrecisionReference()
    {
        var random = new Random(12);
        var products = SearchTestData.RandomProducts(random, 300, Dimension);
        var index = SearchTestData.IndexOf(products, Dimension, DistanceMetric.Cosine);
        var queries = Enumerable.Range(0, 6).Select(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();

        var byId = products.ToDictionary(product => product.Id, StringComparer.Ordinal);

        var answers = index.SearchBatch(queries.SelectMany(query => query).ToArray(), 15);

        for (var q = 0; q < queries.Length; q++)
        {
            var reference = BruteForce.Rank(products, DistanceMetric.Cosine, queries[q]);
            var checkedById = BruteForce.AssertTopK(reference, answers[q], 15, byId, DistanceMetric.Cosine, queries[q]);
            Assert.True(checkedById >= 12, $"only {checkedById} of 15 positions were separated enough to check by id");
        }
    }

    [Fact]
    public void SearchBatch_FindsAProductWithMoreImagesThanOneKernelBlock()
    {
        // 300 images is more than a block of 256 rows: the block grows for that product, then goes on as before.
        var random = new Random(13);
        var products = SearchTestData.RandomProducts(random, 400, Dimension, maxImages: 1);
        var images = Enumerable.Range(0, 300).Select(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
        var query = SearchTestData.RandomVector(random, Dimension);
        images[217] = [.. query];
        products.Insert(150, new TestProduct("many", null, images));
        var index = SearchTestData.IndexOf(products, Dimension, DistanceMetric.Cosine);
        var queries = Enumerable.Range(0, 5).Select(_ => SearchTestData.RandomVector(random, Dimension)).Append(query).ToArray();

        var answers = index.SearchBatch(queries.SelectMany(q => q).ToArray(), 10);

        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(index.Search(queries[q], 10), answers[q]);
        }

        Assert.Equal(("many", 217), (answers[^1][0].ProductId, answers[^1][0].ImageIndex));
    }

    [Fact]
    public void SearchBatch_NamesTheBadQuery()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Cosine);
        index.Upsert("a", null, [1, 0]);

        var error = Assert.Throws<ArgumentException>(() => index.SearchBatch([1, 0, float.NaN, 0], 1));

        Assert.Contains("Query 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void SearchBatch_Throws_WhenTheBatchIsNotWholeQueries(int length)
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Cosine);

        Assert.Throws<ArgumentException>(() => index.SearchBatch(new float[length], 1));
    }

    [Fact]
    public void SearchBatch_ReturnsEmptyAnswers_ForAnUnknownCategory()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("a", "tops", [1, 0]);

        var answers = index.SearchBatch([1, 0, 0, 1], 3, "hats");

        Assert.All(answers, Assert.Empty);
        Assert.Equal(2, answers.Length);
    }
}
