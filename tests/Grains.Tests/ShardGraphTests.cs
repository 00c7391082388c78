using System.Diagnostics;
using OutfitFinder.Core.Search;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Shards;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Hosting;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Grains.Tests;

/// <summary>
/// Shards above <c>Search:GraphThreshold</c> answer from an HNSW graph built in the background,
/// kept current by every write, saved with the snapshot and loaded instead of rebuilt.
/// </summary>
public sealed class ShardGraphTests
{
    private const int Dimension = 512;
    private const int K = 10;

    /// <summary>Expected recall@10 of the graph against the exact scan on these clustered vectors (ef 64).</summary>
    private const double MinimumRecall = 0.9;

    private static Dictionary<string, string?> Settings(int threshold) => new()
    {
        ["Search:Index"] = "Auto",
        ["Search:GraphThreshold"] = threshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Search:GraphEfConstruction"] = "64",
    };

    /// <summary>A shard's products as the test wrote them, to compute exact answers independently of the shard.</summary>
    private sealed class Catalogue
    {
        private readonly ClusteredVectors _source = new(Dimension, clusterCount: 40, seed: 7);
        public Dictionary<string, (string Category, float[] Vector)> Products { get; } = new(StringComparer.Ordinal);

        /// <summary>Products p{first}..; every 30th is in the rare category (about 3%, under the exact-fallback share).</summary>
        public ProductUpsert[] Make(int first, int count)
        {
            var vectors = _source.Next(count);
            var batch = new ProductUpsert[count];
            for (var i = 0; i < count; i++)
            {
                var id = $"p{first + i}";
                var category = (first + i) % 30 == 0 ? "Rare" : "Common";
                var vector = vectors.AsSpan(i * Dimension, Dimension).ToArray();
                Products[id] = (category, vector);
                batch[i] = new ProductUpsert(id, category, null, 1, PackedVectors.Pack(vector));
            }

            return batch;
        }

        public float[] Query(int seed) => new ClusteredVectors(Dimension, clusterCount: 40, seed: 7).Next(seed + 1)[(seed * Dimension)..];

        public IReadOnlyList<string> Exact(float[] query, int k, string? category)
        {
            var exact = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
            foreach (var (id, (productCategory, vector)) in Products)
            {
                exact.Upsert(id, productCategory, vector);
            }

            return [.. exact.Search(query, k, category).Select(hit => hit.ProductId)];
        }
    }

    /// <summary>Graph build slots that stay shut until the test opens them.</summary>
    private sealed class HeldGraphBuildSlots() : GraphBuildSlots(Options.Create(new ShardIndexOptions()))
    {
        private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _opened.TrySetResult();

        public override async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
        {
            await _opened.Task.WaitAsync(cancellationToken);
            return await base.EnterAsync(cancellationToken);
        }
    }

    private static async Task WriteAsync(ICatalogShardGrain shard, Catalogue catalogue, int first, int count)
    {
        for (var start = first; start < first + count; start += 500)
        {
            await shard.UpsertBatchAsync(catalogue.Make(start, Math.Min(500, first + count - start)));
        }
    }

    private static async Task<ShardIndexStats> WaitForGraphAsync(ICatalogShardGrain shard)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var stats = await shard.GetIndexStatsAsync();
            if (stats is { Answering: "hnsw", GraphBuilding: false })
            {
                return stats;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(5), $"no graph after {waited.Elapsed}: {stats}");
            await Task.Delay(50);
        }
    }

    private static async Task<ICatalogShardGrain> CreateShardAsync(TestCluster cluster, string name)
    {
        await cluster.Client.GetGrain<ICatalogGrain>(name).CreateAsync(new CatalogSpec("resnet18", "cosine", 1));
        return cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For(name, 0));
    }

    private static async Task<List<ShardHit>> AnswersAsync(ICatalogShardGrain shard, Catalogue catalogue)
    {
        var answers = new List<ShardHit>();
        for (var q = 0; q < 10; q++)
        {
            answers.AddRange(await shard.SearchAsync(new ShardQuery(catalogue.Query(q), K, null)));
        }

        return answers;
    }

    [Fact]
    public async Task Shard_AnswersFromGraphWithRecall_IncludingWritesMadeDuringTheBuild()
    {
        // The build waits for its slot until the writes below have landed, so they reach the graph
        // only through the backlog replayed when the build ends.
        var slots = new HeldGraphBuildSlots();
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: Settings(threshold: 2500),
            services: services => services.AddSingleton<GraphBuildSlots>(slots));
        var shard = await CreateShardAsync(cluster, "graph-recall");
        var catalogue = new Catalogue();
        await WriteAsync(shard, catalogue, first: 0, count: 2500);

        // The batch that reached the threshold started the build; these writes land while it runs.
        Assert.True((await shard.GetIndexStatsAsync()).GraphBuilding, "the build should have started");
        var late = catalogue.Make(first: 2500, count: 1)[0];
        await shard.UpsertAsync(late);
        Assert.True(await shard.DeleteAsync("p7"));
        catalogue.Products.Remove("p7");

        // A product replaced during the build is brought over as it is now, and one created and deleted is not at all.
        var moved = catalogue.Query(9_999);
        await shard.UpsertAsync(new ProductUpsert("p11", "Common", null, 1, PackedVectors.Pack(moved)));
        catalogue.Products["p11"] = ("Common", moved);
        await shard.UpsertAsync(catalogue.Make(first: 90_000, count: 1)[0]);
        Assert.True(await shard.DeleteAsync("p90000"));
        catalogue.Products.Remove("p90000");
        await WriteAsync(shard, catalogue, first: 2501, count: 499);
        Assert.Equal("flat", (await shard.GetIndexStatsAsync()).Answering);

        slots.Open();
        var stats = await WaitForGraphAsync(shard);
        Assert.Equal(1, stats.GraphsBuilt);
        Assert.Equal(0, stats.GraphsLoaded);

        var lateVector = catalogue.Products[late.ProductId].Vector;
        Assert.Equal(late.ProductId, (await shard.SearchAsync(new ShardQuery(lateVector, 1, null)))[0].ProductId);
        var movedHit = (await shard.SearchAsync(new ShardQuery(moved, 1, null)))[0];
        Assert.Equal(("p11", 1f), (movedHit.ProductId, MathF.Round(movedHit.Score, 4)));
        Assert.Equal(new ShardCounts(2999, 2999), await shard.GetCountsAsync());
        Assert.Equal(2999, stats.GraphRows - stats.GraphTombstones);
        var deletedQuery = new ShardQuery(catalogue.Query(7), 50, null);
        Assert.DoesNotContain(await shard.SearchAsync(deletedQuery), hit => hit.ProductId == "p7");

        var (found, wanted, filteredFound, filteredWanted) = (0, 0, 0, 0);
        for (var q = 0; q < 50; q++)
        {
            var query = catalogue.Query(3000 + q);
            var exact = catalogue.Exact(query, K, null);
            var answer = await shard.SearchAsync(new ShardQuery(query, K, null));
            found += answer.Count(hit => exact.Contains(hit.ProductId));
            wanted += exact.Count;

            // "Rare" is ~3% of rows: the graph answers it with an exact scan of those rows.
            var exactRare = catalogue.Exact(query, K, "Rare");
            var rare = await shard.SearchAsync(new ShardQuery(query, K, "Rare"));
            Assert.All(rare, hit => Assert.Equal("Rare", hit.Category));
            filteredFound += rare.Count(hit => exactRare.Contains(hit.ProductId));
            filteredWanted += exactRare.Count;
        }

        var recall = (double)found / wanted;
        Assert.True(recall >= MinimumRecall, $"recall@{K} is {recall:F3}, below {MinimumRecall}");
        Assert.Equal(filteredWanted, filteredFound);
    }

    [Fact]
    public async Task Shard_RejectsEfOutOfRange()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: Settings(threshold: 100));
        var shard = await CreateShardAsync(cluster, "graph-ef");
        var catalogue = new Catalogue();
        await WriteAsync(shard, catalogue, first: 0, count: 200);
        await WaitForGraphAsync(shard);

        await Assert.ThrowsAsync<ArgumentException>(() => shard.SearchAsync(new ShardQuery(catalogue.Query(1), K, null, Ef: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => shard.SearchAsync(new ShardQuery(catalogue.Query(1), K, null, Ef: ShardQuery.MaxEf + 1)));
        var exact = catalogue.Exact(catalogue.Query(1), K, null);
        var wide = await shard.SearchAsync(new ShardQuery(catalogue.Query(1), K, null, Ef: 400));
        Assert.Equal(exact, [.. wide.Select(hit => hit.ProductId)]);
    }

    [Fact]
    public void ShardQuery_AcceptsTheEfRangeOfTheShardEngine()
    {
        // The grain contracts do not reference Core, so the wire limit is a second constant that must not drift.
        Assert.Equal(ShardSearch.MaxEf, ShardQuery.MaxEf);
    }

    [Fact]
    public async Task Shard_RebuildsItsGraph_WhenDeletesPassTheTombstoneShare()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: Settings(threshold: 100));
        var shard = await CreateShardAsync(cluster, "graph-tombstones");
        var catalogue = new Catalogue();
        await WriteAsync(shard, catalogue, first: 0, count: 300);
        await WaitForGraphAsync(shard);

        // 100 of 300 deleted: tombstones are 50% of the 200 live rows, past the default 25%.
        for (var i = 0; i < 300; i += 3)
        {
            Assert.True(await shard.DeleteAsync($"p{i}"));
            catalogue.Products.Remove($"p{i}");
        }

        // The rebuild starts at the delete that passes 25%; later deletes tombstone rows of the new graph.
        var stats = await WaitForGraphAsync(shard);
        Assert.Equal(2, stats.GraphsBuilt);
        Assert.InRange(stats.GraphTombstones, 0, 200 / 4);
        Assert.Equal(200 + stats.GraphTombstones, stats.GraphRows);
        for (var q = 0; q < 300; q += 30)
        {
            var hits = await shard.SearchAsync(new ShardQuery(catalogue.Query(q), K, null));
            Assert.All(hits, hit => Assert.True(catalogue.Products.ContainsKey(hit.ProductId), $"{hit.ProductId} was deleted"));
        }
    }

    [Fact]
    public async Task Shard_LoadsItsSavedGraph_AfterReactivation_AndAnswersIdentically()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: Settings(threshold: 500));
        var shard = await CreateShardAsync(cluster, "graph-saved");
        var catalogue = new Catalogue();
        await WriteAsync(shard, catalogue, first: 0, count: 600);
        await WaitForGraphAsync(shard);

        // The first write after the graph is ready compacts, saving the graph with the snapshot.
        await shard.UpsertAsync(catalogue.Make(first: 600, count: 1)[0]);
        Assert.Equal(1, (await shard.GetIndexStatsAsync()).GraphsPersisted);
        await shard.UpsertAsync(catalogue.Make(first: 601, count: 1)[0]);
        var before = await AnswersAsync(shard, catalogue);

        await cluster.Cluster.DeactivateAsync(shard);
        Assert.True(File.Exists(Path.Combine(cluster.StorageRoot, "catalogs", "graph-saved", "shards", "0", "graph")));
        var reloaded = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("graph-saved", 0));

        var stats = await reloaded.GetIndexStatsAsync();
        Assert.Equal(("hnsw", 1, 0, false), (stats.Answering, stats.GraphsLoaded, stats.GraphsBuilt, stats.GraphBuilding));
        Assert.Equal(602, stats.GraphRows);
        Assert.Equal(before, await AnswersAsync(reloaded, catalogue));
    }

    [Fact]
    public async Task Shard_IgnoresACorruptGraph_RebuildsIt_AndLosesNoProduct()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: Settings(threshold: 500));
        var shard = await CreateShardAsync(cluster, "graph-corrupt");
        var catalogue = new Catalogue();
        await WriteAsync(shard, catalogue, first: 0, count: 600);
        await WaitForGraphAsync(shard);
        await shard.UpsertAsync(catalogue.Make(first: 600, count: 1)[0]);
        Assert.Equal(1, (await shard.GetIndexStatsAsync()).GraphsPersisted);
        await cluster.Cluster.DeactivateAsync(shard);

        var graphFile = Path.Combine(cluster.StorageRoot, "catalogs", "graph-corrupt", "shards", "0", "graph");
        var bytes = await File.ReadAllBytesAsync(graphFile);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(graphFile, bytes);
        var reloaded = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("graph-corrupt", 0));

        Assert.Equal(new ShardCounts(601, 601), await reloaded.GetCountsAsync());
        var stats = await WaitForGraphAsync(reloaded);
        Assert.Equal((0, 1), (stats.GraphsLoaded, stats.GraphsBuilt));
        foreach (var id in new[] { "p0", "p299", "p600" })
        {
            var (_, vector) = catalogue.Products[id];
            Assert.Equal(id, (await reloaded.SearchAsync(new ShardQuery(vector, 1, null)))[0].ProductId);
        }
    }

    [Theory]
    [InlineData("Memory")]
    [InlineData("MappedFile")]
    public async Task Shard_WithInt8Graphs_AnswersWithRecall_ReloadsItsGraph_AndRebuildsItWhenTheSettingChanges(string vectorStorage)
    {
        var storage = Directory.CreateTempSubdirectory("outfit-int8-graph-").FullName;
        var vectorFolder = Path.Combine(storage, "scratch-vectors");
        try
        {
            var int8 = Settings(threshold: 500);
            int8["Search:GraphVectors"] = "Int8";
            int8["Search:VectorStorage"] = vectorStorage;
            int8["Search:VectorFolder"] = vectorFolder;
            int8["Storage:Root"] = storage;
            var catalogue = new Catalogue();
            await using (var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: int8))
            {
                var shard = await CreateShardAsync(cluster, "graph-int8");
                await WriteAsync(shard, catalogue, first: 0, count: 600);
                await WaitForGraphAsync(shard);
                await shard.UpsertAsync(catalogue.Make(first: 600, count: 1)[0]);
                Assert.Equal(1, (await shard.GetIndexStatsAsync()).GraphsPersisted);

                // The shard re-ranks the int8 graph's candidates from its float vectors: exact scores, and the
                // recall the float graph is held to.
                var exactIndex = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
                foreach (var (id, (category, vector)) in catalogue.Products)
                {
                    exactIndex.Upsert(id, category, vector);
                }

                var (found, wanted) = (0, 0);
                for (var q = 0; q < 30; q++)
                {
                    var query = catalogue.Query(5000 + q);
                    var exact = catalogue.Exact(query, K, null);
                    var answer = await shard.SearchAsync(new ShardQuery(query, K, null));
                    found += answer.Count(hit => exact.Contains(hit.ProductId));
                    wanted += exact.Count;
                    var exactScores = exactIndex.Rescore(query, answer.Select(hit => hit.ProductId), K).ToDictionary(hit => hit.ProductId, hit => hit.Score);
                    Assert.All(answer, hit => Assert.Equal(exactScores[hit.ProductId], hit.Score));
                }

                var recall = (double)found / wanted;
                Assert.True(recall >= MinimumRecall, $"recall@{K} of the int8 graph is {recall:F3}, below {MinimumRecall}");

                // A selective filter: the graph scans the category's codes and the shard re-ranks from its floats.
                var (rareFound, rareWanted) = (0, 0);
                for (var q = 0; q < 10; q++)
                {
                    var query = catalogue.Query(7000 + q);
                    var answer = await shard.SearchAsync(new ShardQuery(query, K, "Rare"));
                    Assert.All(answer, hit => Assert.Equal("Rare", hit.Category));
                    var exact = catalogue.Exact(query, K, "Rare");
                    rareFound += answer.Count(hit => exact.Contains(hit.ProductId));
                    rareWanted += exact.Count;
                }

                Assert.True(rareFound >= rareWanted * MinimumRecall, $"filtered recall is {rareFound}/{rareWanted}");

                await cluster.Cluster.DeactivateAsync(shard);
                var reloaded = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("graph-int8", 0));
                var stats = await reloaded.GetIndexStatsAsync();
                Assert.Equal(("hnsw", 1, 0), (stats.Answering, stats.GraphsLoaded, stats.GraphsBuilt));
            }

            // Mapped vectors, their clones and saved graphs go through scratch files that none outlives its use.
            Assert.Equal(vectorStorage == "MappedFile", Directory.Exists(vectorFolder));
            Assert.Empty(Directory.Exists(vectorFolder) ? Directory.GetFiles(vectorFolder) : []);

            // The same storage under float graphs: the saved int8 graph is refused and a float one built.
            var floats = Settings(threshold: 500);
            floats["Storage:Root"] = storage;
            await using (var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: floats))
            {
                var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("graph-int8", 0));
                Assert.Equal(new ShardCounts(601, 601), await shard.GetCountsAsync());
                var stats = await WaitForGraphAsync(shard);
                Assert.Equal((0, 1), (stats.GraphsLoaded, stats.GraphsBuilt));
                var (_, vector) = catalogue.Products["p42"];
                Assert.Equal("p42", (await shard.SearchAsync(new ShardQuery(vector, 1, null)))[0].ProductId);
            }
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
