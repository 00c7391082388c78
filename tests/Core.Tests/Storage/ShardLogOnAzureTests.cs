using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>
/// A shard log's life on Azurite: the torn-tail cut rewrites the log with a replacing write, and
/// the log must still take appends afterwards.
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

    private ShardLog OpenLog() => new(_store, LogPath, NullLogger.Instance);
}
