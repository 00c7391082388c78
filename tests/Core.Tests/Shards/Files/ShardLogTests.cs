using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards.Files;

public sealed class ShardLogTests : IDisposable
{
    private const string LogPath = "catalogs/shoes/shards/3/log";

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public ShardLogTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task LoadAsync_ReturnsNoRecords_WhenLogMissing()
    {
        var replay = await OpenLog().LoadAsync(CancellationToken.None);

        Assert.Empty(replay.Records);
        Assert.Equal(0, replay.LengthBytes);
        Assert.Equal(0, replay.DiscardedBytes);
        Assert.Null(replay.DiscardedTailPath);
    }

    [Fact]
    public async Task LoadAsync_ReplaysAppendsAndBatchesInOrder_WhenReopened()
    {
        var records = ShardLogRecords.Mixed();
        var log = OpenLog();
        await log.LoadAsync(CancellationToken.None);

        await log.AppendAsync(records[0], CancellationToken.None);
        await log.AppendBatchAsync(records[1..4], CancellationToken.None);
        await log.AppendBatchAsync([], CancellationToken.None);
        await log.AppendAsync(records[4], CancellationToken.None);
        var replay = await OpenLog().LoadAsync(CancellationToken.None);

        ShardLogRecords.AssertSame(records, replay.Records);
        Assert.Equal(ShardLogCodec.Encode(records).Length, replay.LengthBytes);
        Assert.Equal(0, replay.DiscardedBytes);
    }

    [Fact]
    public async Task LoadAsync_LeavesLogAloneAndLogsNothing_WhenLogIsWhole()
    {
        var logger = new ListLogger<ShardLog>();
        var bytes = ShardLogCodec.Encode(ShardLogRecords.Mixed());
        await _store.WriteAsync(LogPath, bytes, CancellationToken.None);

        var replay = await OpenLog(logger).LoadAsync(CancellationToken.None);

        Assert.Equal(5, replay.Records.Count);
        Assert.Equal(bytes, await _store.ReadAsync(LogPath, CancellationToken.None));
        Assert.Equal([LogPath], await ListAsync("catalogs/shoes/shards/3/"));
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task LoadAsync_CutsTornTailAndKeepsEarlierRecords_WhenLastAppendStoppedAtEveryOffset()
    {
        var records = ShardLogRecords.Mixed();
        var good = ShardLogCodec.Encode(records[..^1]);
        var last = ShardLogCodec.Encode(records[^1]);

        for (var kept = 1; kept < last.Length; kept++)
        {
            var path = $"cut-tests/{kept}/log";
            await _store.WriteAsync(path, (byte[])[.. good, .. last.AsSpan(0, kept)], CancellationToken.None);

            var replay = await new ShardLog(_store, path, NullLogger.Instance).LoadAsync(CancellationToken.None);

            ShardLogRecords.AssertSame(records[..^1], replay.Records);
            Assert.Equal(good.Length, replay.LengthBytes);
            Assert.Equal(kept, replay.DiscardedBytes);
            Assert.Equal(good, await _store.ReadAsync(path, CancellationToken.None));
        }
    }

    [Fact]
    public async Task AppendAsync_FollowsGoodRecordsDirectly_AfterLoadCutATornTail()
    {
        var records = ShardLogRecords.Mixed();
        var good = ShardLogCodec.Encode(records[..3]);
        var torn = ShardLogCodec.Encode(records[3]).AsSpan(0, 11).ToArray();
        await _store.WriteAsync(LogPath, (byte[])[.. good, .. torn], CancellationToken.None);

        var log = OpenLog();
        var replay = await log.LoadAsync(CancellationToken.None);
        await log.AppendAsync(records[4], CancellationToken.None);
        var reloaded = await OpenLog().LoadAsync(CancellationToken.None);

        ShardLogRecords.AssertSame(records[..3], replay.Records);
        Assert.Equal(torn.Length, replay.DiscardedBytes);
        ShardLogRecords.AssertSame([.. records[..3], records[4]], reloaded.Records);
        Assert.Equal(0, reloaded.DiscardedBytes);
        Assert.Equal(torn, await _store.ReadAsync(replay.DiscardedTailPath!, CancellationToken.None));
    }

    [Fact]
    public async Task LoadAsync_LogsOneWarningWithByteCounts_WhenTailIsTorn()
    {
        var logger = new ListLogger<ShardLog>();
        var good = ShardLogCodec.Encode(ShardLogRecords.Mixed());
        await _store.WriteAsync(LogPath, (byte[])[.. good, ShardLogCodec.FrameMarkerV1, 0x10, 0x00], CancellationToken.None);

        await OpenLog(logger).LoadAsync(CancellationToken.None);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(3101, entry.EventId);
        Assert.Equal((long)good.Length, entry.State["ValidLengthBytes"]);
        Assert.Equal(good.Length + 3L, entry.State["TotalLengthBytes"]);
        Assert.Equal(3L, entry.State["DiscardedBytes"]);
        Assert.Equal(5, entry.State["RecordCount"]);
        Assert.Equal(ShardLogDamage.TruncatedFrame, entry.State["Damage"]);
        Assert.Contains(LogPath, entry.Message);
    }

    [Fact]
    public async Task LoadAsync_CopiesEveryDroppedByteAside_WhenMiddleRecordIsCorrupt()
    {
        var records = ShardLogRecords.Mixed();
        var bytes = ShardLogCodec.Encode(records);
        var middleStart = ShardLogCodec.Encode(records[..2]).Length;
        bytes[middleStart + 7] ^= 0x01;
        await _store.WriteAsync(LogPath, bytes, CancellationToken.None);

        var replay = await OpenLog().LoadAsync(CancellationToken.None);

        ShardLogRecords.AssertSame(records[..2], replay.Records);
        Assert.Equal(bytes.Length - middleStart, replay.DiscardedBytes);
        Assert.Equal(bytes[middleStart..], await _store.ReadAsync(replay.DiscardedTailPath!, CancellationToken.None));
        Assert.Equal(bytes[..middleStart], await _store.ReadAsync(LogPath, CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_ThrowsInvalidOperation_BeforeLoad()
    {
        var log = OpenLog();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            log.AppendAsync(new ProductDeleted("p"), CancellationToken.None));

        Assert.Null(await _store.ReadAsync(LogPath, CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_RequiresLoadAgain_AfterAnAppendFailed()
    {
        var store = new TornAppendStore(_store);
        var log = new ShardLog(store, LogPath, NullLogger.Instance);
        await log.LoadAsync(CancellationToken.None);
        await log.AppendAsync(new ProductDeleted("a"), CancellationToken.None);

        store.TearNextAppend(keepBytes: 4);
        await Assert.ThrowsAsync<IOException>(() => log.AppendAsync(new ProductDeleted("b"), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendAsync(new ProductDeleted("c"), CancellationToken.None));
        var replay = await log.LoadAsync(CancellationToken.None);
        await log.AppendAsync(new ProductDeleted("d"), CancellationToken.None);

        Assert.Equal(4, replay.DiscardedBytes);
        ShardLogRecords.AssertSame([new ProductDeleted("a"), new ProductDeleted("d")],
            (await OpenLog().LoadAsync(CancellationToken.None)).Records);
    }

    [Fact]
    public async Task AppendBatchAsync_WritesWholeBatchWithOneStoreAppend()
    {
        var store = new TornAppendStore(_store);
        var log = new ShardLog(store, LogPath, NullLogger.Instance);
        await log.LoadAsync(CancellationToken.None);

        await log.AppendBatchAsync(ShardLogRecords.Mixed(), CancellationToken.None);

        Assert.Equal(1, store.Appends);
        Assert.Equal(5, (await OpenLog().LoadAsync(CancellationToken.None)).Records.Count);
    }

    private ShardLog OpenLog(ILogger? logger = null) => new(_store, LogPath, logger ?? NullLogger.Instance);

    private async Task<List<string>> ListAsync(string prefix)
    {
        var paths = new List<string>();
        await foreach (var path in _store.ListAsync(prefix, CancellationToken.None))
        {
            paths.Add(path);
        }

        return paths;
    }
}
