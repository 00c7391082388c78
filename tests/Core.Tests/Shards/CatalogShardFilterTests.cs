using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Search;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>
/// Metadata filters in a shard: applied inside the search (never after the top k), kept in step with every write,
/// replay and reopen, fields declared later, and recall against the exact filtered answer at every selectivity.
/// </summary>
public sealed class CatalogShardFilterTests : IDisposable
{
    private const int Dimension = 16;

    private static readonly Dictionary<string, FieldType> Fields = new(StringComparer.Ordinal)
    {
        ["price"] = FieldType.Number,
        ["brand"] = FieldType.String,
    };

    private readonly TempFolder _folder = new();
    private readonly Random _random = new(2718);

    public void Dispose() => _folder.Dispose();

    private Task<CatalogShard> OpenAsync(string name, IReadOnlyDictionary<string, FieldType>? fields, ShardIndexOptions? index = null) =>
        CatalogShard.OpenAsync(new LocalFolderBlobStore(_folder.Path),
            new ShardDefinition(name, 0, Dimension, DistanceMetric.Cosine, $"catalogs/{name}/shards/0", fields),
            index ?? new ShardIndexOptions { Index = ShardIndexKind.Flat }, new ShardCompactionOptions(), null, NullLogger.Instance,
            CancellationToken.None);

    private ShardUpsert Product(string id, double price, string brand, string? category = null) =>
        new(id, category, string.Create(CultureInfo.InvariantCulture, $"{{\"price\":{price},\"brand\":\"{brand}\"}}"), 1,
            SearchTestData.RandomVector(_random, Dimension));

    private static async Task<string[]> FoundAsync(CatalogShard shard, float[] query, string filter, string? category = null, int k = 100) =>
        [.. (await shard.SearchAsync(new ShardSearch(query, k, category, FilterJson: filter))).Select(hit => hit.ProductId).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task SearchAsync_ReturnsOnlyMatchingProducts_ThoughNearerOnesFail()
    {
        await using var shard = await OpenAsync("near", Fields);
        var query = SearchTestData.RandomVector(_random, Dimension);
        // The nearest product (the query itself) fails the filter; a post-filter of the top 1 would return nothing.
        await shard.UpsertAsync(new ShardUpsert("same", null, """{"price":99,"brand":"acme"}""", 1, query));
        await shard.UpsertBatchAsync([.. Enumerable.Range(0, 50).Select(i => Product($"p{i}", i, i % 2 == 0 ? "acme" : "zen", i % 3 == 0 ? "tops" : null))]);

        var hits = await shard.SearchAsync(new ShardSearch(query, 1, null, FilterJson: """{"price":{"lt":50}}"""));

        Assert.Single(hits);
        Assert.NotEqual("same", hits[0].ProductId);
        var expected = Enumerable.Range(0, 50).Where(i => i % 2 == 1 && i % 3 == 0 && i >= 10).Select(i => $"p{i}").Order(StringComparer.Ordinal).ToArray();
        var found = await FoundAsync(shard, query, """{"and":[{"brand":"zen"},{"price":{"gte":10}}]}""", category: "tops");
        Assert.Equal(expected, found);
    }

    [Fact]
    public async Task SearchAsync_FollowsReplacementsDeletesAndReopening()
    {
        var query = SearchTestData.RandomVector(_random, Dimension);
        const string cheap = """{"price":{"lt":10}}""";
        await using (var shard = await OpenAsync("writes", Fields))
        {
            await shard.UpsertBatchAsync([Product("a", 5, "acme"), Product("b", 6, "acme"), Product("c", 50, "zen")]);
            await shard.UpsertAsync(Product("b", 60, "acme"));
            await shard.UpsertAsync(Product("c", 1, "zen"));
            await shard.DeleteAsync("a");
            Assert.Equal(["c"], await FoundAsync(shard, query, cheap));
        }

        // Reopened from the log: the field index is rebuilt by the replay.
        await using var reopened = await OpenAsync("writes", Fields);
        Assert.Equal(["c"], await FoundAsync(reopened, query, cheap));
        Assert.Equal(["b"], await FoundAsync(reopened, query, """{"brand":{"in":["acme"]}}"""));
    }

    [Fact]
    public async Task DeclareFieldsAsync_IndexesProductsAlreadyHeld()
    {
        await using var shard = await OpenAsync("later", new Dictionary<string, FieldType> { ["price"] = FieldType.Number });
        await shard.UpsertBatchAsync([Product("a", 5, "acme"), Product("b", 6, "zen")]);
        var query = SearchTestData.RandomVector(_random, Dimension);
        await Assert.ThrowsAsync<ArgumentException>(() => shard.SearchAsync(new ShardSearch(query, 5, null, FilterJson: """{"brand":"zen"}""")));

        Assert.True(await shard.DeclareFieldsAsync(Fields));

        Assert.Equal(["b"], await FoundAsync(shard, query, """{"brand":"zen"}"""));
        Assert.False(await shard.DeclareFieldsAsync(Fields));
    }

    [Fact]
    public async Task SearchAsync_KeepsRecallAt20AgainstTheExactFilteredAnswer_AtEverySelectivity()
    {
        // A graph over 4,000 products; a uniform number field gives filters from 0.1 % to 100 % of the rows.
        const int count = 4000;
        var index = new ShardIndexOptions { Index = ShardIndexKind.Hnsw, GraphEfConstruction = 100 };
        await using var shard = await OpenAsync("recall", Fields, index);
        var products = Enumerable.Range(0, count).Select(i => Product($"p{i}", _random.NextDouble(), "acme")).ToList();
        await shard.UpsertBatchAsync(products);
        var waited = Stopwatch.StartNew();
        while (shard.IndexState is not { Answering: "hnsw", GraphBuilding: false })
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), $"no graph after {waited.Elapsed}: {shard.IndexState}");
            await Task.Delay(50);
        }

        var exact = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
        var prices = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var product in products)
        {
            exact.Upsert(product.ProductId, null, product.Vectors);
            prices[product.ProductId] = Shard.Price(product.MetadataJson!);
        }

        foreach (var share in new[] { 0.001, 0.01, 0.05, 0.2, 0.5, 1.0 })
        {
            var filter = "{\"price\":{\"lt\":" + share.ToString(CultureInfo.InvariantCulture) + "}}";
            var matching = prices.Where(pair => pair.Value < share).Select(pair => pair.Key).ToList();
            var (found, wanted) = (0, 0);
            for (var q = 0; q < 25; q++)
            {
                var query = SearchTestData.RandomVector(_random, Dimension);
                var truth = exact.Rescore(query, matching, 20).Select(hit => hit.ProductId).ToHashSet(StringComparer.Ordinal);
                var hits = await shard.SearchAsync(new ShardSearch(query, 20, null, FilterJson: filter));
                Assert.All(hits, hit => Assert.True(prices[hit.ProductId] < share, $"{hit.ProductId} fails {filter}"));
                found += hits.Count(hit => truth.Contains(hit.ProductId));
                wanted += truth.Count;
            }

            Assert.True(found >= 0.95 * wanted, $"recall@20 {(double)found / wanted:F3} at share {share}");
        }
    }

    [Fact]
    public void PreferScan_CrossoverShareFalls_AsShardsGrow()
    {
        static double CrossoverShare(long rows) => FilterCost.CrossoverRows(rows, 64) / rows;

        Assert.True(FilterCost.PreferScan(10, 100_000, 64));
        Assert.False(FilterCost.PreferScan(100_000, 100_000, 64));
        Assert.True(CrossoverShare(1_000_000) < CrossoverShare(100_000) / 3);
        Assert.Equal(FilterCost.PreferScan(5_000, 100_000, 64), 5_000.0 < FilterCost.CrossoverRows(100_000, 64));
    }

    private static class Shard
    {
        public static double Price(string metadata) =>
            System.Text.Json.JsonDocument.Parse(metadata).RootElement.GetProperty("price").GetDouble();
    }
}
