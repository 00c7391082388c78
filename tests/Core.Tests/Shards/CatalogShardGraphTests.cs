using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Search;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>
/// A shard's background graph build without a silo: writes made while it runs, and writes racing its completion
/// on the thread pool, all reach the graph; closing cancels it.
/// </summary>
public sealed class CatalogShardGraphTests : IDisposable
{
    private const int Dimension = 32;

    private readonly TempFolder _folder = new();
    private readonly Random _random = new(314);
    private readonly Dictionary<string, float[]> _model = new(StringComparer.Ordinal);

    public void Dispose() => _folder.Dispose();

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

    private Task<CatalogShard> OpenAsync(GraphBuildSlots slots) => CatalogShard.OpenAsync(new LocalFolderBlobStore(_folder.Path),
        new ShardDefinition("graph", 0, Dimension, DistanceMetric.Cosine, "catalogs/graph/shards/0"),
        new ShardIndexOptions { Index = ShardIndexKind.Auto, GraphThreshold = 400, GraphEfConstruction = 64 },
        new ShardCompactionOptions(), slots, NullLogger.Instance, CancellationToken.None);

    private ShardUpsert Product(string id)
    {
        var vector = SearchTestData.RandomVector(_random, Dimension);
        _model[id] = vector;
        return new ShardUpsert(id, null, null, 1, vector);
    }

    private async Task<string?> TopOneAsync(CatalogShard shard, string id) =>
        (await shard.SearchAsync(new ShardSearch(_model[id], 1, null))).SingleOrDefault()?.ProductId;

    [Fact]
    public async Task GraphBuild_BringsOverEveryWriteMadeDuringIt_WhileWritesRaceItsCompletion()
    {
        var slots = new HeldGraphBuildSlots();
        await using var shard = await OpenAsync(slots);
        for (var batch = 0; batch < 4; batch++)
        {
            await shard.UpsertBatchAsync([.. Enumerable.Range(batch * 100, 100).Select(i => Product($"p{i}"))]);
        }

        // The batch that reached the threshold started the build; it waits for its slot while these land.
        Assert.True(shard.IndexState.GraphBuilding, "the build should have started");
        var duringBuild = Enumerable.Range(400, 300).Select(i => $"p{i}").ToArray();
        await shard.UpsertBatchAsync([.. duringBuild.Select(Product)]);
        Assert.False(await shard.UpsertAsync(Product("p11")));
        Assert.True(await shard.DeleteAsync("p7"));
        var deleted = _model["p7"];
        _model.Remove("p7");
        Assert.True(await shard.UpsertAsync(Product("gone")));
        Assert.True(await shard.DeleteAsync("gone"));
        _model.Remove("gone");
        Assert.Equal("flat", shard.IndexState.Answering);

        // 300 backlog products, past the synchronous limit: the completion replays a chunk outside the write gate,
        // then the rest under it, while this loop keeps writing from the thread pool.
        slots.Open();
        var racing = new List<string>();
        var waited = Stopwatch.StartNew();
        while (shard.IndexState is not { Answering: "hnsw", GraphBuilding: false })
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), $"no graph after {waited.Elapsed}: {shard.IndexState}");
            var id = $"race{racing.Count}";
            Assert.True(await Task.Run(() => shard.UpsertAsync(Product(id))));
            racing.Add(id);
        }

        var state = shard.IndexState;
        Assert.Equal((1, 0), (state.GraphsBuilt, state.GraphsLoaded));
        Assert.Equal(_model.Count, shard.Size.Products);
        Assert.Equal(_model.Count, state.GraphRows - state.GraphTombstones);
        foreach (var id in duringBuild.Concat(racing).Append("p11"))
        {
            Assert.Equal(id, await TopOneAsync(shard, id));
        }

        Assert.DoesNotContain(await shard.SearchAsync(new ShardSearch(deleted, 50, null)), hit => hit.ProductId == "p7");
    }

    [Fact]
    public async Task CloseAsync_CancelsARunningBuild_AndRefusesLaterWrites()
    {
        await using var shard = await OpenAsync(new HeldGraphBuildSlots());
        await shard.UpsertBatchAsync([.. Enumerable.Range(0, 400).Select(i => Product($"p{i}"))]);
        Assert.True(shard.IndexState.GraphBuilding);

        await shard.CloseAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(shard.IndexState.GraphBuilding);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => shard.UpsertAsync(Product("late")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => shard.DeleteAsync("p1"));
        await shard.CloseAsync();
    }
}
