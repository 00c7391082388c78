using Microsoft.Extensions.Logging;

namespace OutfitFinder.Grains.Catalog;

public sealed partial class CatalogShardGrain
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} loaded {Products} products, {Images} images ({SnapshotProducts} products from its snapshot, {LogRecords} log records from {LogGenerations} generations) in {ElapsedMs:F0} ms")]
    private partial void LogShardLoaded(string catalog, int shard, int products, int images, int snapshotProducts,
        int logRecords, int logGenerations, double elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} compacting log generation {Generation} ({LogBytes} bytes, {LogRecords} records): copied {Products} products in {CopyMs:F1} ms")]
    private partial void LogCompactionStarted(string catalog, int shard, long generation, long logBytes, long logRecords,
        int products, double copyMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} wrote a snapshot of {Products} products, {Images} images ({SnapshotBytes} bytes) in {ElapsedMs:F0} ms; replay now starts at log generation {ReplayFromGeneration}")]
    private partial void LogCompacted(string catalog, int shard, int products, long images, long snapshotBytes,
        long replayFromGeneration, double elapsedMs);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Shard {Catalog}/{Shard} failed to compact log generation {Generation}; the log is kept and a later write retries")]
    private partial void LogCompactionFailed(Exception exception, string catalog, int shard, long generation);
}
