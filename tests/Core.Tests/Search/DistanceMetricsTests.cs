using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class DistanceMetricsTests
{
    [Theory]
    // a = (1, 2, 3), b = (4, -5, 6): a·b = 4 - 10 + 18 = 12, |a| = √14, |b| = √77,
    // a - b = (-3, 7, -3): L2 = √67, L1 = 13.
    [InlineData(DistanceMetric.Cosine, 0.365480)]
    [InlineData(DistanceMetric.Dot, 12.0)]
    [InlineData(DistanceMetric.L2, 8.185353)]
    [InlineData(DistanceMetric.L1, 13.0)]
    public void Score_ReturnsKnownValue_ForEveryMetric(DistanceMetric metric, double expected)
    {
        var score = DistanceMetrics.Score(metric, [1f, 2f, 3f], [4f, -5f, 6f]);

        Assert.Equal(expected, score, 1e-5);
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void Score_MatchesPlainLoops_ForLengthsAroundTheSimdWidth(DistanceMetric metric)
    {
        var random = new Random(11);
        foreach (var length in Enumerable.Range(1, 70).Append(512).Append(1031))
        {
            var a = SearchTestData.RandomVector(random, length);
            var b = SearchTestData.RandomVector(random, length);
            var expected = BruteForce.Score(metric, a, b);

            Assert.Equal(expected, DistanceMetrics.Score(metric, a, b), 1e-4 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void Score_ReturnsZero_ForCosineWithAnAllZeroVector()
    {
        Assert.Equal(0f, DistanceMetrics.Score(DistanceMetric.Cosine, [0f, 0f, 0f], [1f, 2f, 3f]));
        Assert.Equal(0f, DistanceMetrics.Score(DistanceMetric.Cosine, [1f, 2f, 3f], [0f, 0f, 0f]));
        Assert.Equal(0f, DistanceMetrics.Score(DistanceMetric.Cosine, [0f, 0f], [0f, 0f]));
    }

    [Fact]
    public void Score_Throws_WhenLengthsDifferOrVectorsAreEmpty()
    {
        Assert.Throws<ArgumentException>(() => DistanceMetrics.Score(DistanceMetric.L1, [1f, 2f], [1f]));
        Assert.Throws<ArgumentException>(() => DistanceMetrics.Score(DistanceMetric.Dot, [], []));
    }

    [Theory]
    [InlineData("cosine", DistanceMetric.Cosine)]
    [InlineData("COSINE", DistanceMetric.Cosine)]
    [InlineData("Dot", DistanceMetric.Dot)]
    [InlineData("l2", DistanceMetric.L2)]
    [InlineData("L1", DistanceMetric.L1)]
    public void TryParse_AcceptsWireName_InAnyCase(string value, DistanceMetric expected)
    {
        Assert.True(DistanceMetrics.TryParse(value, out var metric));
        Assert.Equal(expected, metric);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" l2")]
    [InlineData("euclidean")]
    [InlineData("0")]
    public void TryParse_ReturnsFalse_ForAnythingElse(string? value)
    {
        Assert.False(DistanceMetrics.TryParse(value, out _));
    }

    [Fact]
    public void ToWireName_IsLowerCaseAndRoundTrips_ForEveryMetric()
    {
        Assert.Equal(["cosine", "dot", "l2", "l1"], Enum.GetValues<DistanceMetric>().Select(DistanceMetrics.ToWireName));
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            Assert.True(DistanceMetrics.TryParse(DistanceMetrics.ToWireName(metric), out var parsed));
            Assert.Equal(metric, parsed);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => DistanceMetrics.ToWireName((DistanceMetric)9));
    }

    [Fact]
    public void HigherIsBetter_IsTrueOnlyForSimilarities()
    {
        Assert.True(DistanceMetrics.HigherIsBetter(DistanceMetric.Cosine));
        Assert.True(DistanceMetrics.HigherIsBetter(DistanceMetric.Dot));
        Assert.False(DistanceMetrics.HigherIsBetter(DistanceMetric.L2));
        Assert.False(DistanceMetrics.HigherIsBetter(DistanceMetric.L1));
    }

    [Fact]
    public void Compare_OrdersByScoreThenOrdinalIdThenImage_InTheMetricsDirection()
    {
        IndexHit[] hits =
        [
            new("b", 0, 0.5f), new("a", 1, 0.5f), new("a", 0, 0.5f), new("B", 0, 0.5f), new("z", 0, 0.9f),
            new("y", 0, 0.1f),
        ];

        var bySimilarity = Sorted(hits, DistanceMetric.Cosine);
        var byDistance = Sorted(hits, DistanceMetric.L2);

        Assert.Equal([("z", 0), ("B", 0), ("a", 0), ("a", 1), ("b", 0), ("y", 0)], bySimilarity);
        Assert.Equal([("y", 0), ("B", 0), ("a", 0), ("a", 1), ("b", 0), ("z", 0)], byDistance);

        static IEnumerable<(string, int)> Sorted(IndexHit[] hits, DistanceMetric metric) =>
            hits.Order(Comparer<IndexHit>.Create((x, y) => DistanceMetrics.Compare(metric, x, y)))
                .Select(hit => (hit.ProductId, hit.ImageIndex));
    }
}
