using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Storage;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>
/// A shard log's life on Azurite: the torn-tail cut rewrites the log with a replacing write, and
/// the log must still take appends afterwards; a shard's streamed snapshot and graph round-trip.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ShardLogOnAzureTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string LogPath = "catalogs/shoes/shards/3/log";

    private AzureBlobStore _store = null!;

    public async Task InitializeAsync()
    {
        if (azurite.SkipReason is null)
        {
            _store = await azurite.CreateStoreAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (azurite.SkipReason is null)
        {
            await _store.Container.DeleteIfExistsAsync();
        }
    }

    [SkippableFact]
    public async Task LoadAsync_CutsTornTailAndLogAcceptsAppends_AfterACrashMidAppend()
    {
        azurite.SkipUnlessRunning();
        var records = ShardLogRecords.Mixed();
        var log = OpenLog();
        await log.LoadAsync(CancellationToken.None);
        await log.AppendAsync(records[0], CancellationToken.None);
        await log.AppendBatchAsync(records[1..3], CancellationToken.None);
        // A silo died halfway through the next append: only part of its frame reached the blob.
        var torn = ShardLogCodec.Encode(records[3]).AsSpan(0, 11).ToArray();
        await _store.AppendAsync(LogPath, torn, CancellationToken.None);

        var reopened = OpenLog();
        var replay = await reopened.LoadAsync(CancellationToken.None);
        await reopened.AppendAsync(records[4], CancellationToken.None);
        var reloaded = await OpenLog().LoadAsync(CancellationToken.None);

        ShardLogRecords.AssertSame(records[..3], replay.Records);
        Assert.Equal(torn.Length, replay.DiscardedBytes);
        Assert.Equal(torn, await _store.ReadAsync(replay.DiscardedTailPath!, CancellationToken.None));
        ShardLogRecords.AssertSame([.. records[..3], records[4]], reloaded.Records);
        Assert.Equal(0, reloaded.DiscardedBytes);
        Assert.Equal(ShardLogCodec.Encode([.. records[..3], records[4]]).Length, reloaded.LengthBytes);
        var properties = (await _store.Container.GetBlobClient(LogPath).GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, properties.BlobType);
    }

    [SkippableFact]
    public async Task ShardStore_RoundTripsAStreamedSnapshotAndGraph_ThatSpanSeveralBlocks()
    {
        azurite.SkipUnlessRunning();
        var snapshot = ShardFileFixtures.Large() with { ReplayFromGeneration = 1 };
        var vectorsById = snapshot.Rows().ToDictionary(row => row.Product.ProductId, row => row.Vectors);
        var graph = new byte[5 * 1024 * 1024];
        new Random(2).NextBytes(graph);
        var store = new ShardStore(_store, "catalogs/shoes/shards/4", NullLogger.Instance);
        await store.OpenAsync((_, _) => { }, CancellationToken.None);
        await store.StartNewGenerationAsync(CancellationToken.None);
        using (var payload = new MemoryStream(graph, writable: false))
        {
            await store.WriteSnapshotAsync(snapshot.Header, snapshot.Products, product => vectorsById[product.ProductId], payload,
                CancellationToken.None);
        }

        var reopened = new ShardStore(_store, "catalogs/shoes/shards/4", NullLogger.Instance);
        var products = new List<SnapshotProduct>();
        var vectors = new List<float>();
        var recovery = await reopened.OpenAsync((product, floats) =>
        {
            products.Add(product);
            vectors.AddRange(floats);
        }, CancellationToken.None);
        using var bound = new MemoryStream();
        var (found, refused) = await reopened.ReadGraphAsync(bound, CancellationToken.None);

        Assert.Equal(snapshot.Header, recovery.SnapshotHeader);
        Assert.Equal(snapshot.Products, products);
        Assert.Equal(snapshot.Vectors.Select(BitConverter.SingleToInt32Bits), vectors.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal((true, null), (found, refused));
        Assert.True(graph.AsSpan().SequenceEqual(bound.ToArray()), "the graph read back differs from the one written");
        Assert.Equal(await snapshot.WriteAsync(), await _store.ReadAsync(store.SnapshotPath, CancellationToken.None));
    }

    private ShardLog OpenLog() => new(_store, LogPath, NullLogger.Instance);
}
