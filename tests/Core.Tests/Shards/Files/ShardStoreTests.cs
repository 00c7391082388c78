using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Storage;

namespace OutfitFinder.Core.Tests.Shards.Files;

public sealed class ShardStoreTests : IDisposable
{
    private const string Folder = "catalogs/shoes/shards/2";

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public ShardStoreTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private ShardStore Open() => new(_store, Folder, NullLogger.Instance);

    private static ProductUpserted Upsert(string id, float value) => new(id, "Shoe", $$"""{"id":"{{id}}"}""", 1, [value, -value]);

    /// <summary>The shard's products as the records say: id → (category, metadata, vectors).</summary>
    private static SortedDictionary<string, string> State(ShardRecovery recovery)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (recovery.Snapshot is { } snapshot)
        {
            var offset = 0;
            foreach (var product in snapshot.Products)
            {
                var length = product.ImageCount * snapshot.Dimension;
                state[product.ProductId] = $"{product.Category}|{product.MetadataJson}|{string.Join(',', snapshot.Vectors.AsSpan(offset, length).ToArray())}";
                offset += length;
            }
        }

        foreach (var record in recovery.Records)
        {
            if (record is ProductUpserted upsert)
            {
                state[upsert.ProductId] = $"{upsert.Category}|{upsert.MetadataJson}|{string.Join(',', upsert.Vectors)}";
            }
            else
            {
                state.Remove(record.ProductId);
            }
        }

        return state;
    }

    private static ShardSnapshot SnapshotOf(SortedDictionary<string, string> state, long replayFrom)
    {
        var products = new List<SnapshotProduct>();
        var vectors = new List<float>();
        foreach (var (id, value) in state)
        {
            var parts = value.Split('|');
            products.Add(new SnapshotProduct(id, parts[0], parts[1], 1));
            vectors.AddRange(parts[2].Split(',').Select(float.Parse));
        }

        return new ShardSnapshot(2, DistanceMetric.L2, replayFrom, products, [.. vectors]);
    }

    /// <summary>
    /// Builds, with the real store, what a compaction leaves on storage when the process dies
    /// after <paramref name="completedSteps"/> of its steps (see <see cref="ShardStore"/>):
    /// 0 none; 1 new generation started and written to; 2 snapshot written but covered logs kept
    /// (also what a crash mid-write of the next snapshot leaves); 3 covered logs deleted.
    /// The shard has compacted once before, so an older snapshot and its logs are in play.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task OpenAsync_RecoversEveryAcknowledgedWrite_WhenCompactionStopsAfterAnyStep(int completedSteps)
    {
        var store = Open();
        var expected = State(await store.OpenAsync(CancellationToken.None));
        async Task WriteAsync(ShardLogRecord record)
        {
            await store.AppendAsync([record], CancellationToken.None);
            expected = State(new ShardRecovery(SnapshotOf(expected, 0), [record], 0));
        }

        await WriteAsync(Upsert("a", 1));
        await WriteAsync(Upsert("b", 2));
        await WriteAsync(new ProductDeleted("a"));
        await store.WriteSnapshotAsync(SnapshotOf(expected, await store.StartNewGenerationAsync(CancellationToken.None)), CancellationToken.None);
        await WriteAsync(Upsert("c", 3));
        await WriteAsync(Upsert("b", 4));

        if (completedSteps >= 1)
        {
            var copy = SnapshotOf(expected, await store.StartNewGenerationAsync(CancellationToken.None));
            await WriteAsync(new ProductDeleted("c"));
            await WriteAsync(Upsert("d", 5));
            if (completedSteps == 2)
            {
                await _store.WriteAsync(store.SnapshotPath, ShardSnapshotCodec.Encode(copy), CancellationToken.None);
            }
            else if (completedSteps == 3)
            {
                await store.WriteSnapshotAsync(copy, CancellationToken.None);
            }
        }

        var reopened = Open();
        var recovered = await reopened.OpenAsync(CancellationToken.None);
        await reopened.AppendAsync([Upsert("e", 6)], CancellationToken.None);
        var again = State(await Open().OpenAsync(CancellationToken.None));

        Assert.Equal(expected, State(recovered));
        Assert.DoesNotContain("a", State(recovered).Keys);
        Assert.Equal([.. expected.Keys, "e"], again.Keys);
        var coveredFrom = completedSteps >= 2 ? 2 : 1;
        Assert.Equal(coveredFrom, recovered.Snapshot!.ReplayFromGeneration);
        for (var generation = 0; generation < coveredFrom; generation++)
        {
            Assert.Null(await _store.ReadAsync(store.LogPath(generation), CancellationToken.None));
        }
    }

    [Fact]
    public async Task OpenAsync_RefusesDamagedSnapshot_NamingIt()
    {
        var store = Open();
        await store.OpenAsync(CancellationToken.None);
        await store.AppendAsync([Upsert("a", 1)], CancellationToken.None);
        var state = State(await Open().OpenAsync(CancellationToken.None));
        await store.WriteSnapshotAsync(SnapshotOf(state, await store.StartNewGenerationAsync(CancellationToken.None)), CancellationToken.None);
        var bytes = (await _store.ReadAsync(store.SnapshotPath, CancellationToken.None))!;
        bytes[^20] ^= 1;
        await _store.WriteAsync(store.SnapshotPath, bytes, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Open().OpenAsync(CancellationToken.None));

        Assert.Contains(store.SnapshotPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_ReadsLogsWrittenBeforeSnapshotsExisted()
    {
        var legacy = new ShardLog(_store, $"{Folder}/log", NullLogger.Instance);
        await legacy.LoadAsync(CancellationToken.None);
        await legacy.AppendAsync(Upsert("old", 9), CancellationToken.None);

        var recovery = await Open().OpenAsync(CancellationToken.None);

        Assert.Null(recovery.Snapshot);
        Assert.Equal(["old"], State(recovery).Keys);
    }
}
