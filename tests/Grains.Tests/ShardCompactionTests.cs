using Orleans.Runtime;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Grains.Tests;

public sealed class ShardCompactionTests
{
    // A 512-float product is a ~2 KiB log record: a compaction every couple of writes.
    private static readonly Dictionary<string, string?> SmallLog = new() { ["Storage:Compaction:LogBytes"] = "4000" };

    private static float[] UnitVector(int seed)
    {
        var random = new Random(seed);
        var vector = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }

    private static ProductUpsert Product(string id, params int[] seeds) =>
        new(id, seeds[0] % 2 == 0 ? "Dress" : "Top", $$"""{"sku":"{{id}}"}""", seeds.Length, PackedVectors.Pack(seeds.SelectMany(UnitVector).ToArray()));

    /// <summary>Writes p0..p(count-1), replaces p1 and deletes every third product; returns the ids that must remain.</summary>
    private static async Task<string[]> WriteAsync(ICatalogShardGrain shard, int count, int seed)
    {
        for (var i = 0; i < count; i++)
        {
            await shard.UpsertAsync(Product($"p{i}", seed + i, seed + i + 100));
        }

        await shard.UpsertBatchAsync([Product("p1", seed + 500)]);
        var deleted = Enumerable.Range(0, count).Where(i => i % 3 == 0).ToArray();
        foreach (var i in deleted)
        {
            Assert.True(await shard.DeleteAsync($"p{i}"));
        }

        return [.. Enumerable.Range(0, count).Except(deleted).Select(i => $"p{i}")];
    }

    private static async Task<List<(string, int, string?, string?)>> AnswersAsync(ICatalogShardGrain shard, int seed)
    {
        var answers = new List<(string, int, string?, string?)>();
        foreach (var query in new[] { seed, seed + 3, seed + 500 })
        {
            answers.AddRange((await shard.SearchAsync(new ShardQuery(UnitVector(query), 5, null)))
                .Select(hit => (hit.ProductId, hit.ImageIndex, hit.Category, hit.MetadataJson)));
        }

        return answers;
    }

    [Theory]
    [InlineData("Memory")]
    [InlineData("MappedFile")]
    public async Task Shard_AnswersAsBefore_AfterCompactionAndReload(string vectorStorage)
    {
        // Every compaction streams a frozen clone of the vectors (a mapped file, for MappedFile) into the snapshot.
        var vectorFolder = Path.Combine(Path.GetTempPath(), $"outfit-compaction-vectors-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string?>(SmallLog)
        {
            ["Search:VectorStorage"] = vectorStorage,
            ["Search:VectorFolder"] = vectorFolder,
        };
        try
        {
            await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: settings);
            await cluster.Client.GetGrain<ICatalogGrain>("compact").CreateAsync(new CatalogSpec("resnet18", "cosine", 1));
            var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("compact", 0));
            var kept = await WriteAsync(shard, count: 12, seed: 10);
            var answers = await AnswersAsync(shard, 10);
            var scores = (await shard.SearchAsync(new ShardQuery(UnitVector(13), 8, null))).Select(hit => hit.Score).ToArray();

            await cluster.Cluster.DeactivateAsync(shard);
            var folder = Path.Combine(cluster.StorageRoot, "catalogs", "compact", "shards", "0");
            var reloaded = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("compact", 0));

            Assert.True(File.Exists(Path.Combine(folder, "snapshot")));
            Assert.False(File.Exists(Path.Combine(folder, "log")), "generation 0 is covered by the snapshot and deleted");
            Assert.Equal(new ShardCounts(kept.Length, kept.Length * 2 - 1), await reloaded.GetCountsAsync());
            Assert.Equal(answers, await AnswersAsync(reloaded, 10));
            var reloadedScores = (await reloaded.SearchAsync(new ShardQuery(UnitVector(13), 8, null))).Select(hit => hit.Score).ToArray();
            Assert.Equal(scores.Length, reloadedScores.Length);
            Assert.All(scores.Zip(reloadedScores), pair => Assert.Equal(pair.First, pair.Second, 1e-6f));
            Assert.Equal(1, (await reloaded.GetAsync("p1"))!.ImageCount);
            Assert.Null(await reloaded.GetAsync("p0"));
            Assert.Null(await reloaded.GetAsync("p9"));
        }
        finally
        {
            if (Directory.Exists(vectorFolder))
            {
                Directory.Delete(vectorFolder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Shard_Compacts_WhenItsLogNearsTheAppendLimitOfAzureAppendBlobs()
    {
        // Tiny records, far under the byte and record limits: only the append count can trigger compaction.
        var settings = new Dictionary<string, string?> { ["Storage:Compaction:LogAppends"] = "5" };
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), settings: settings);
        await cluster.Client.GetGrain<ICatalogGrain>("appends").CreateAsync(new CatalogSpec("resnet18", "cosine", 1));
        var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("appends", 0));
        var folder = Path.Combine(cluster.StorageRoot, "catalogs", "appends", "shards", "0");

        for (var i = 0; i < 4; i++)
        {
            await shard.UpsertAsync(Product($"p{i}", i));
        }

        Assert.False(File.Exists(Path.Combine(folder, "snapshot")));
        await shard.UpsertAsync(Product("p4", 4));
        await WaitForAsync(() => File.Exists(Path.Combine(folder, "snapshot")));
        await cluster.Cluster.DeactivateAsync(shard);
        Assert.Equal(new ShardCounts(5, 5), await cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("appends", 0)).GetCountsAsync());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Shard_KeepsEveryAcknowledgedWrite_WhenItsSiloIsKilled()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 2, gpuSilos: new HashSet<int>(), settings: SmallLog);
        await cluster.Client.GetGrain<ICatalogGrain>("killed").CreateAsync(new CatalogSpec("resnet18", "l2", 1));
        var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("killed", 0));
        var kept = await WriteAsync(shard, count: 9, seed: 40);
        var answers = await AnswersAsync(shard, 40);
        var host = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(shard);
        Assert.NotNull(host);

        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos.Single(silo => silo.SiloAddress == host));

        var counts = await RetryUntilServedAsync(() => shard.GetCountsAsync());
        Assert.Equal(new ShardCounts(kept.Length, kept.Length * 2 - 1), counts);
        Assert.Equal(answers, await AnswersAsync(shard, 40));
        Assert.NotEqual(host, await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(shard));
        Assert.True(File.Exists(Path.Combine(cluster.StorageRoot, "catalogs", "killed", "shards", "0", "snapshot")), "the writes were compacted before the kill");
        foreach (var id in new[] { "p0", "p3", "p6" })
        {
            Assert.Null(await shard.GetAsync(id));
        }
    }

    /// <summary>Calls made before the cluster declares the killed silo dead fail; retry until they are served elsewhere.</summary>
    private static async Task<T> RetryUntilServedAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException && DateTime.UtcNow < deadline)
            {
            }
        }
    }
}
