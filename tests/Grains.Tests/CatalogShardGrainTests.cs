using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Grains.Tests;

public sealed class CatalogShardGrainTests
{
    private static float[] UnitVector(int seed)
    {
        var random = new Random(seed);
        var vector = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }

    private static ProductUpsert Product(string id, string category, params int[] seeds) =>
        new(id, category, $$"""{"sku":"{{id}}"}""", seeds.Length, PackedVectors.Pack(seeds.SelectMany(UnitVector).ToArray()));

    [Fact]
    public async Task Shard_ReloadsEveryAcknowledgedWrite_AfterDeactivation()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        var catalog = cluster.Client.GetGrain<ICatalogGrain>("reload");
        await catalog.CreateAsync(new CatalogSpec("resnet18", "cosine", 1));
        var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("reload", 0));

        Assert.Equal(UpsertStatus.Created, await shard.UpsertAsync(Product("a", "Dress", 1)));
        Assert.Equal(UpsertStatus.Created, await shard.UpsertAsync(Product("b", "Top", 2, 3)));
        Assert.Equal(UpsertStatus.Created, await shard.UpsertAsync(Product("c", "Dress", 4)));
        Assert.Equal(UpsertStatus.Replaced, await shard.UpsertAsync(Product("a", "Skirt", 5)));
        Assert.True(await shard.DeleteAsync("c"));
        var before = await shard.SearchAsync(new ShardQuery(UnitVector(3), 10, null));

        await cluster.Cluster.DeactivateAsync(shard);
        var reloaded = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("reload", 0));

        Assert.Equal(new ShardCounts(2, 3), await reloaded.GetCountsAsync());
        Assert.Equal(before, await reloaded.SearchAsync(new ShardQuery(UnitVector(3), 10, null)));
        Assert.Equal(new ProductView("a", "Skirt", """{"sku":"a"}""", 1), await reloaded.GetAsync("a"));
        Assert.Null(await reloaded.GetAsync("c"));
        var top = (await reloaded.SearchAsync(new ShardQuery(UnitVector(3), 1, null)))[0];
        Assert.Equal(("b", 1), (top.ProductId, top.ImageIndex));
    }

    [Fact]
    public async Task Shard_AnswersConcurrentSearchesExactlyAsOneAtATime_WhileWritesInterleave()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        await cluster.Client.GetGrain<ICatalogGrain>("busy").CreateAsync(new CatalogSpec("resnet18", "cosine", 1));
        var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("busy", 0));
        await shard.UpsertBatchAsync([.. Enumerable.Range(0, 2000).Select(i => Product($"p{i}", i % 3 == 0 ? "Dress" : "Top", i))]);
        var queries = Enumerable.Range(0, 48).Select(i => new ShardQuery(UnitVector(10_000 + i), 10, i % 4 == 0 ? "Dress" : null)).ToArray();
        var alone = new List<IReadOnlyList<ShardHit>>();
        foreach (var query in queries)
        {
            alone.Add(await shard.SearchAsync(query));
        }

        // Searches queue up behind each other and are scored in shared passes; a write that replaces a
        // product with itself runs among them, so every answer must still be exactly the one above.
        var together = queries.Select(query => shard.SearchAsync(query)).ToList();
        Assert.Equal(UpsertStatus.Replaced, await shard.UpsertAsync(Product("p3", "Dress", 3)));
        var answers = await Task.WhenAll(together);

        for (var i = 0; i < queries.Length; i++)
        {
            Assert.Equal(alone[i], answers[i]);
        }
    }

    [Fact]
    public async Task Shard_RejectsVectorsOfTheWrongDimension()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        await cluster.Client.GetGrain<ICatalogGrain>("dims").CreateAsync(new CatalogSpec("resnet18", "l2", 2));
        var shard = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("dims", 1));

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            shard.UpsertAsync(new ProductUpsert("x", null, null, 1, PackedVectors.Pack(new float[100]))));

        Assert.Contains("512", error.Message);
        Assert.Equal(new ShardCounts(0, 0), await shard.GetCountsAsync());
    }

    [Fact]
    public async Task Catalog_IsCreatedOnce_AndConflictsOnAnotherDefinition()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        var catalog = cluster.Client.GetGrain<ICatalogGrain>("create-once");

        var first = await catalog.CreateAsync(new CatalogSpec("resnet18", "cosine", 4));
        var same = await catalog.CreateAsync(new CatalogSpec("resnet18", "cosine", 4));
        var other = await catalog.CreateAsync(new CatalogSpec("resnet18", "dot", 4));
        var unknown = await cluster.Client.GetGrain<ICatalogGrain>("unknown-model").CreateAsync(new CatalogSpec("vgg", "cosine", 1));

        Assert.Equal(CreateCatalogStatus.Created, first.Status);
        Assert.Equal(new CatalogDefinition("create-once", "resnet18", "cosine", 512, 4), first.Definition);
        Assert.Equal(CreateCatalogStatus.AlreadyExists, same.Status);
        Assert.Equal(CreateCatalogStatus.Conflict, other.Status);
        Assert.Equal("cosine", (await catalog.GetAsync())!.Metric);
        Assert.Equal(CreateCatalogStatus.UnknownModel, unknown.Status);
        Assert.Null(await cluster.Client.GetGrain<ICatalogGrain>("unknown-model").GetAsync());
    }
}
