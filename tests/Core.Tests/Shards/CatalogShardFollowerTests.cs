using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Search;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>A read replica of a shard that follows its writer through the store alone, compactions included.</summary>
public sealed class CatalogShardFollowerTests : IDisposable
{
    private const int Dimension = 16;
    private static readonly ShardDefinition Definition = new("follow", 0, Dimension, DistanceMetric.Cosine, "catalogs/follow/shards/0");

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public CatalogShardFollowerTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private Task<CatalogShard> OpenWriterAsync(long logRecords = 1_000_000) =>
        CatalogShard.OpenAsync(_store, Definition, new ShardIndexOptions(), new ShardCompactionOptions { LogRecords = logRecords },
            graphBuildSlots: null, NullLogger.Instance, CancellationToken.None);

    private Task<CatalogShard> OpenFollowerAsync() =>
        CatalogShard.OpenFollowerAsync(_store, Definition, new ShardIndexOptions(), graphBuildSlots: null, NullLogger.Instance, CancellationToken.None);

    private static ShardUpsert Product(string id, int seed) =>
        new(id, "Dress", null, 1, SearchTestData.RandomVector(new Random(seed), Dimension));

    private static async Task<string[]> TopIdsAsync(CatalogShard shard, int seed) =>
        [.. (await shard.SearchAsync(new ShardSearch(SearchTestData.RandomVector(new Random(seed), Dimension), 5, null))).Select(hit => hit.ProductId)];

    [Fact]
    public async Task CatchUpAsync_SeesEveryAcknowledgedWrite_AfterTheWriterWroteThem()
    {
        await using var writer = await OpenWriterAsync();
        await writer.UpsertAsync(Product("a", 1));
        await using var follower = await OpenFollowerAsync();
        Assert.Equal(1, follower.Size.Products);

        await writer.UpsertBatchAsync([Product("b", 2), Product("c", 3)]);
        await writer.DeleteAsync("a");
        Assert.Equal(1, follower.Size.Products);

        var caughtUp = await follower.CatchUpAsync();

        Assert.Equal(3, caughtUp.Records);
        Assert.Null(follower.Get("a"));
        Assert.NotNull(follower.Get("c"));
        Assert.Equal(await TopIdsAsync(writer, 2), await TopIdsAsync(follower, 2));
    }

    [Fact]
    public async Task CatchUpAsync_FollowsTheWriter_ThroughCompactionsIntoNewGenerations()
    {
        // A compaction every 5 records: the follower crosses generations between two catch-ups. When a compaction's
        // snapshot deleted a generation before the follower read its end (a race with the background snapshot write),
        // the follower opens the shard again from that snapshot, as the replica grain does; either way it ends equal.
        await using var writer = await OpenWriterAsync(logRecords: 5);
        var follower = await OpenFollowerAsync();
        try
        {
            for (var round = 0; round < 4; round++)
            {
                for (var i = 0; i < 7; i++)
                {
                    await writer.UpsertAsync(Product($"r{round}-{i}", round * 100 + i));
                }

                try
                {
                    await follower.CatchUpAsync();
                }
                catch (ShardFollowLostException)
                {
                    await follower.DisposeAsync();
                    follower = await OpenFollowerAsync();
                    await follower.CatchUpAsync();
                }

                Assert.Equal(writer.Size.Products, follower.Size.Products);
            }

            Assert.Equal(28, follower.Size.Products);
            Assert.Equal(await TopIdsAsync(writer, 7), await TopIdsAsync(follower, 7));
        }
        finally
        {
            await follower.DisposeAsync();
        }
    }

    [Fact]
    public async Task UpsertAsync_Throws_OnAFollower()
    {
        await using var follower = await OpenFollowerAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => follower.UpsertAsync(Product("x", 1)));
        Assert.Equal(0, follower.Size.Products);
    }

    [Fact]
    public async Task OpenFollowerAsync_WritesNothing_ToTheShardFolder()
    {
        await using (var writer = await OpenWriterAsync())
        {
            await writer.UpsertAsync(Product("a", 1));
        }

        var before = Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories).Order().ToArray();
        await using var follower = await OpenFollowerAsync();
        await follower.CatchUpAsync();

        Assert.Equal(before, Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories).Order().ToArray());
        Assert.NotNull(follower.Get("a"));
    }
}
