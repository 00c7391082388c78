using System.Globalization;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// What every <see cref="IVectorIndex"/> kind must do, run against each kind through its own subclass (see
/// IndexKindContractTests.cs): writes and counts, one hit per product with its best image, the category filter
/// inside the search, ties by ordinal id, bad input refused with the index unchanged, the exact answer (exact kinds)
/// or a stated recall (approximate kinds), the saved form (persistent kinds) and the memory estimate.
/// </summary>
/// <remarks>
/// A new kind gets the suite by deriving from this class and saying how to make an empty index
/// (<see cref="Make"/>), whether it is exact, its recall floor, which metrics it refuses and, for a persistent
/// kind, how to load its saved form. Tests of a metric a kind refuses are skipped with its reason.
/// Catalogs stay small (tens to a few thousand vectors) so that approximate kinds answer the property tests
/// exactly; only the recall test measures approximation.
/// </remarks>
public abstract class VectorIndexContractTests : IDisposable
{
    private const int Dimension = 8;
    private readonly List<IVectorIndex> _made = [];

    private static readonly DistanceMetric[] AllMetrics =
        [DistanceMetric.Cosine, DistanceMetric.Dot, DistanceMetric.L2, DistanceMetric.L1];

    /// <summary>Whether searches return exactly the brute-force answer; otherwise <see cref="RecallFloor"/> applies.</summary>
    protected abstract bool IsExact { get; }

    /// <summary>Least recall@10 against brute force on the clustered catalog of <see cref="Search_RecallAt10_ReachesTheKindsFloor_OnClusteredData"/>.</summary>
    protected virtual double RecallFloor => 1.0;

    /// <summary>Whether removed and replaced rows stay behind as tombstones (a graph keeps them to route searches).</summary>
    protected virtual bool KeepsTombstones => false;

    /// <summary>A new, empty index of this kind.</summary>
    protected abstract IVectorIndex Make(int dimension, DistanceMetric metric);

    /// <summary>Why this kind refuses <paramref name="metric"/>, or null when it supports it.</summary>
    protected virtual string? Unsupported(DistanceMetric metric) => null;

    /// <summary>For a persistent kind, the index its saved form (<see cref="IPersistentVectorIndex.Save"/>) loads as.</summary>
    protected virtual IVectorIndex? Load(Stream saved) => null;

    public void Dispose()
    {
        foreach (var index in _made)
        {
            index.Dispose();
        }

        Cleanup();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes whatever the subclass made besides the indexes (they are disposed first).</summary>
    protected virtual void Cleanup()
    {
    }

    [SkippableFact]
    public void Search_FindsTheProductWithTheMatchingImage_AfterUpsert() => ForEachSupportedMetric(Search_FindsTheProductWithTheMatchingImage_AfterUpsertFor);

    private void Search_FindsTheProductWithTheMatchingImage_AfterUpsertFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(1);
        AddNoise(index, random, 40);
        var target = Scaled(random, 3, 10f);
        index.Upsert("target", "tops", target);

        var hit = index.Search(Image(target, 1), 1, default)[0];

        Assert.True(index.Contains("target"));
        Assert.Equal(("target", 1), (hit.ProductId, hit.ImageIndex));
    }

    [SkippableFact]
    public void Upsert_ChangesTheAnswer_WhenAProductIsReplaced() => ForEachSupportedMetric(Upsert_ChangesTheAnswer_WhenAProductIsReplacedFor);

    private void Upsert_ChangesTheAnswer_WhenAProductIsReplacedFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(2);
        AddNoise(index, random, 40);
        var before = Scaled(random, 2, 10f);

        // The new image points away from the old one, so under every metric it is no answer to the old query.
        float[] after = [.. Image(before, 0).Select(value => -value)];
        index.Upsert("target", null, before);
        Assert.Equal("target", index.Search(Image(before, 0), 1, default)[0].ProductId);

        index.Upsert("target", null, after);

        Assert.NotEqual("target", index.Search(Image(before, 0), 1, default)[0].ProductId);
        var hit = index.Search(Image(after, 0), 1, default)[0];
        Assert.Equal(("target", 0), (hit.ProductId, hit.ImageIndex));
    }

    [SkippableFact]
    public void Remove_TakesTheProductOutOfEveryAnswer() => ForEachSupportedMetric(Remove_TakesTheProductOutOfEveryAnswerFor);

    private void Remove_TakesTheProductOutOfEveryAnswerFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(3);
        AddNoise(index, random, 40);
        var target = Scaled(random, 2, 10f);
        index.Upsert("target", "target-only", target);

        Assert.True(index.Remove("target"));

        Assert.False(index.Contains("target"));
        Assert.False(index.Remove("target"));
        Assert.DoesNotContain("target", index.Search(Image(target, 0), 100, default).Select(hit => hit.ProductId));
        Assert.Empty(index.Search(Image(target, 0), 10, new IndexQueryOptions("target-only")));
    }

    [SkippableFact]
    public void Counts_FollowUpsertsReplacementsAndRemovals()
    {
        var index = Create(DistanceMetric.Cosine);
        var random = new Random(4);
        var tombstonesPer = KeepsTombstones ? 1 : 0;
        Assert.Equal((0, 0, 0), Counts(index));
        Assert.Empty(index.Search(Scaled(random, 1, 1f), 3, default));

        index.Upsert("a", null, Scaled(random, 2, 1f));
        index.Upsert("b", null, Scaled(random, 1, 1f));
        index.Upsert("c", "tops", Scaled(random, 3, 1f));
        Assert.Equal((3, 6, 0), Counts(index));

        index.Upsert("a", "tops", Scaled(random, 1, 1f));
        Assert.Equal((3, 5, 2 * tombstonesPer), Counts(index));

        index.Remove("b");
        Assert.Equal((2, 4, 3 * tombstonesPer), Counts(index));

        index.Remove("missing");
        Assert.Equal((2, 4, 3 * tombstonesPer), Counts(index));
    }

    [SkippableFact]
    public void Search_ReturnsEachProductAtMostOnce_WhenAllItsImagesLead() => ForEachSupportedMetric(Search_ReturnsEachProductAtMostOnce_WhenAllItsImagesLeadFor);

    private void Search_ReturnsEachProductAtMostOnce_WhenAllItsImagesLeadFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(5);
        var query = Scaled(random, 1, 10f);

        // Every product's images sit around the query, so each product has several rows among the best.
        for (var p = 0; p < 30; p++)
        {
            var images = Enumerable.Range(0, 1 + (p % 4))
                .SelectMany(_ => query.Zip(Scaled(random, 1, 0.5f), (q, noise) => q + noise))
                .ToArray();
            index.Upsert($"p{p:D2}", null, images);
        }

        foreach (var k in new[] { 1, 10, 30, 100 })
        {
            var hits = index.Search(query, k, default);

            // An approximate kind may reach fewer products than there are (a graph under dot product, whose
            // neighbourhoods are not a metric's, leaves some unreached), never more than k.
            Assert.InRange(hits.Count, IsExact ? Math.Min(k, 30) : 1, Math.Min(k, 30));
            Assert.Equal(hits.Count, hits.Select(hit => hit.ProductId).Distinct(StringComparer.Ordinal).Count());
        }
    }

    [SkippableFact]
    public void Search_ReportsTheBestImage_LowestIndexAmongEqualScores() => ForEachSupportedMetric(Search_ReportsTheBestImage_LowestIndexAmongEqualScoresFor);

    private void Search_ReportsTheBestImage_LowestIndexAmongEqualScoresFor(DistanceMetric metric)
    {
        var random = new Random(6);
        var lastIndex = Create(metric);
        var tiedIndex = Create(metric);
        AddNoise(lastIndex, random, 20);
        AddNoise(tiedIndex, random, 20);
        var query = Scaled(random, 1, 10f);
        float[] opposite = [.. query.Select(value => -value)];

        // "last" has its best image last; "tied" has its best image twice, at 1 and 2, after the worst one.
        lastIndex.Upsert("last", null, [.. opposite, .. Scaled(random, 1, 1f), .. query]);
        tiedIndex.Upsert("tied", null, [.. opposite, .. query, .. query]);

        var last = lastIndex.Search(query, 1, default)[0];
        var tied = tiedIndex.Search(query, 1, default)[0];

        Assert.Equal(("last", 2), (last.ProductId, last.ImageIndex));
        Assert.Equal(("tied", 1), (tied.ProductId, tied.ImageIndex));
    }

    [SkippableFact]
    public void Search_AppliesTheCategoryInside_WhenBetterProductsAreInOtherCategories() => ForEachSupportedMetric(Search_AppliesTheCategoryInside_WhenBetterProductsAreInOtherCategoriesFor);

    private void Search_AppliesTheCategoryInside_WhenBetterProductsAreInOtherCategoriesFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(7);
        var query = Scaled(random, 1, 10f);

        // 40 "others" hug the query; 20 "wanted" lie further out. A filter applied after a top-10 would find none.
        for (var p = 0; p < 60; p++)
        {
            var spread = p < 40 ? 0.2f : 3f;
            var vector = query.Zip(Scaled(random, 1, spread), (q, noise) => q + noise).ToArray();
            index.Upsert($"p{p:D2}", p < 40 ? "others" : "wanted", vector);
        }

        var hits = index.Search(query, 10, new IndexQueryOptions("wanted"));

        Assert.Equal(10, hits.Count);
        Assert.All(hits, hit => Assert.True(int.Parse(hit.ProductId[1..], CultureInfo.InvariantCulture) >= 40, hit.ProductId));
        Assert.Empty(index.Search(query, 10, new IndexQueryOptions("Wanted")));
        Assert.Empty(index.Search(query, 10, new IndexQueryOptions("never-seen")));
        Assert.InRange(index.Search(query, 50, new IndexQueryOptions("wanted")).Count, IsExact ? 20 : 10, 20);
    }

    [SkippableFact]
    public void Search_BreaksTiesByOrdinalProductId_WhenScoresAreEqual() => ForEachSupportedMetric(Search_BreaksTiesByOrdinalProductId_WhenScoresAreEqualFor);

    private void Search_BreaksTiesByOrdinalProductId_WhenScoresAreEqualFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(8);
        AddNoise(index, random, 20);
        var same = Scaled(random, 1, 10f);
        foreach (var id in new[] { "b", "a", "aa", "C", "B" })
        {
            index.Upsert(id, null, same);
        }

        var hits = index.Search(same, 4, default);

        // Ordinal: upper case sorts before lower case, and "a" before "aa".
        Assert.Equal(["B", "C", "a", "aa"], hits.Select(hit => hit.ProductId));
        Assert.Single(hits.Select(hit => hit.Score).Distinct());
    }

    [SkippableFact]
    public void BadInput_ThrowsTheDocumentedException_AndLeavesTheIndexUnchanged() => ForEachSupportedMetric(BadInput_ThrowsTheDocumentedException_AndLeavesTheIndexUnchangedFor);

    private void BadInput_ThrowsTheDocumentedException_AndLeavesTheIndexUnchangedFor(DistanceMetric metric)
    {
        var index = Create(metric);
        var random = new Random(9);
        AddNoise(index, random, 20);
        var kept = Scaled(random, 2, 10f);
        index.Upsert("kept", "tops", kept);
        var query = Image(kept, 1);
        var answer = index.Search(query, 5, default);
        var counts = Counts(index);
        var nan = (float[])kept.Clone();
        nan[Dimension + 3] = float.NaN;

        Assert.Throws<ArgumentException>(() => index.Upsert("kept", null, []));
        Assert.Throws<ArgumentException>(() => index.Upsert("kept", null, new float[Dimension + 1]));
        Assert.Throws<ArgumentException>(() => index.Upsert("kept", null, nan));
        Assert.Throws<ArgumentException>(() => index.Upsert("new", null, [float.PositiveInfinity, .. new float[Dimension - 1]]));
        Assert.Throws<ArgumentNullException>(() => index.Upsert(null!, null, kept));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(query, 0, default));
        Assert.Throws<ArgumentException>(() => index.Search(new float[Dimension - 1], 5, default));
        Assert.Throws<ArgumentException>(() => index.Search([float.NaN, .. new float[Dimension - 1]], 5, default));

        Assert.Equal(counts, Counts(index));
        Assert.False(index.Contains("new"));
        Assert.Equal(answer, index.Search(query, 5, default));
    }

    [SkippableFact]
    public void Search_EqualsBruteForce_ForExactKinds() => ForEachSupportedMetric(Search_EqualsBruteForce_ForExactKindsFor);

    private void Search_EqualsBruteForce_ForExactKindsFor(DistanceMetric metric)
    {
        Skip.IfNot(IsExact, "An approximate kind is held to its recall floor instead.");
        var index = Create(metric);
        var random = new Random(10 + (int)metric);
        var products = SearchTestData.RandomProducts(random, 300, Dimension, maxImages: 3);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        var byId = products.ToDictionary(product => product.Id, StringComparer.Ordinal);
        for (var q = 0; q < 20; q++)
        {
            var query = SearchTestData.RandomVector(random, Dimension);
            var category = SearchTestData.Categories[q % SearchTestData.Categories.Length];
            var reference = BruteForce.Rank(products, metric, query, category);

            var hits = index.Search(query, 10, new IndexQueryOptions(category));

            BruteForce.AssertTopK(reference, hits, 10, byId, metric, query);
        }
    }

    [SkippableFact]
    public void Search_RecallAt10_ReachesTheKindsFloor_OnClusteredData() => ForEachSupportedMetric(Search_RecallAt10_ReachesTheKindsFloor_OnClusteredDataFor);

    private void Search_RecallAt10_ReachesTheKindsFloor_OnClusteredDataFor(DistanceMetric metric)
    {
        const int K = 10;
        const int Count = 3_000;
        const int Dim = 32;
        var index = Create(metric, Dim);
        var random = new Random(11);
        var centres = Enumerable.Range(0, 30).Select(_ => SearchTestData.RandomVector(random, Dim)).ToArray();
        float[] Near() => [.. centres[random.Next(centres.Length)].Select(value => value + (0.3f * Gaussian(random)))];
        var products = new List<TestProduct>(Count);
        for (var p = 0; p < Count; p++)
        {
            var images = Enumerable.Range(0, 1 + (p % 2)).Select(_ => Near()).ToArray();
            products.Add(new TestProduct($"p{p:D4}", null, images));
            index.Upsert(products[^1].Id, null, products[^1].Flattened());
        }

        var found = 0;
        const int Queries = 100;
        for (var q = 0; q < Queries; q++)
        {
            var query = Near();
            var truth = BruteForce.Rank(products, metric, query).Take(K).Select(hit => hit.ProductId).ToHashSet(StringComparer.Ordinal);

            var hits = index.Search(query, K, default);

            Assert.Equal(hits.Count, hits.Select(hit => hit.ProductId).Distinct(StringComparer.Ordinal).Count());
            found += hits.Count(hit => truth.Contains(hit.ProductId));
        }

        var recall = found / (double)(K * Queries);
        Assert.True(recall >= RecallFloor, $"recall@{K} for {metric} was {recall:F4}, below the floor {RecallFloor:F2}");
    }

    [SkippableFact]
    public void SaveAndLoad_GiveTheSameAnswers_ForPersistentKinds() => ForEachSupportedMetric(SaveAndLoad_GiveTheSameAnswers_ForPersistentKindsFor);

    private void SaveAndLoad_GiveTheSameAnswers_ForPersistentKindsFor(DistanceMetric metric)
    {
        var index = Create(metric);
        Skip.IfNot(index is IPersistentVectorIndex, "This kind has no saved form of its own.");
        var random = new Random(12);
        var products = SearchTestData.RandomProducts(random, 300, Dimension);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        index.Remove(products[0].Id);
        index.Upsert(products[1].Id, "tops", SearchTestData.RandomVector(random, Dimension));
        using var saved = new MemoryStream();
        ((IPersistentVectorIndex)index).Save(saved);
        saved.Position = 0;

        using var loaded = Load(saved) ?? throw new InvalidOperationException("A persistent kind must say how it loads.");

        Assert.Equal((index.Dimension, index.Metric), (loaded.Dimension, loaded.Metric));
        Assert.Equal(Counts(index), Counts(loaded));
        Assert.False(loaded.Contains(products[0].Id));
        for (var q = 0; q < 30; q++)
        {
            var query = SearchTestData.RandomVector(random, Dimension);
            var options = new IndexQueryOptions(SearchTestData.Categories[q % SearchTestData.Categories.Length]);
            Assert.Equal(index.Search(query, 10, options), loaded.Search(query, 10, options));
        }
    }

    [SkippableFact]
    public void MemoryBytes_GrowsWithTheData()
    {
        var index = Create(DistanceMetric.Cosine);
        var random = new Random(13);
        var empty = index.MemoryBytes;
        AddNoise(index, random, 10);
        var small = index.MemoryBytes;

        AddNoise(index, random, 2_000);
        var large = index.MemoryBytes;

        Assert.InRange(empty, 0, small - 1);
        Assert.True(large > small, $"{large} bytes for 2,010 products, {small} for 10");

        // Every kind stores at least a byte per value of every vector.
        Assert.True(large >= (long)index.ImageCount * Dimension, $"{large} bytes for {index.ImageCount} vectors");
    }

    [Fact]
    public void Make_RefusesTheMetricsTheKindDoesNotSupport()
    {
        foreach (var metric in AllMetrics.Where(metric => Unsupported(metric) is not null))
        {
            Assert.ThrowsAny<ArgumentException>(() => Make(Dimension, metric).Dispose());
        }
    }

    /// <summary>
    /// Runs a contract check once per metric the kind supports (each kind names the ones it refuses, and
    /// <see cref="Make_RefusesTheMetricsTheKindDoesNotSupport"/> holds it to that), naming the metric of a failure.
    /// </summary>
    private void ForEachSupportedMetric(Action<DistanceMetric> check)
    {
        var supported = AllMetrics.Where(metric => Unsupported(metric) is null).ToList();
        Assert.NotEmpty(supported);
        foreach (var metric in supported)
        {
            try
            {
                check(metric);
            }
            catch (Exception e) when (e is not Xunit.SkipException)
            {
                throw new Xunit.Sdk.XunitException($"With the {metric} metric: {e.Message}", e);
            }
        }
    }

    private IVectorIndex Create(DistanceMetric metric, int dimension = Dimension)
    {
        var index = Make(dimension, metric);
        _made.Add(index);
        return index;
    }

    private static (int Products, int Images, int Tombstones) Counts(IVectorIndex index) =>
        (index.ProductCount, index.ImageCount, index.TombstoneCount);

    /// <summary><paramref name="count"/> products of one or two small random images, ids "n0000" on.</summary>
    private static void AddNoise(IVectorIndex index, Random random, int count)
    {
        var start = index.ProductCount;
        for (var p = 0; p < count; p++)
        {
            index.Upsert($"n{start + p:D4}", SearchTestData.Categories[p % SearchTestData.Categories.Length],
                Scaled(random, 1 + (p % 2), 1f));
        }
    }

    /// <summary>Random images with values in ±<paramref name="scale"/>, flattened; large ones stand out from noise.</summary>
    private static float[] Scaled(Random random, int images, float scale) =>
        [.. Enumerable.Range(0, images * Dimension).Select(_ => scale * (float)((random.NextDouble() * 2) - 1))];

    private static float[] Image(float[] images, int image) => images.AsSpan(image * Dimension, Dimension).ToArray();

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
