using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Shards;

public sealed partial class CatalogShard
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

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} building an HNSW graph of {Products} products, {Images} images in the background (rebuild: {Rebuild}, tombstones: {Tombstones}); the current index answers meanwhile")]
    private partial void LogGraphBuildStarted(string catalog, int shard, int products, int images, bool rebuild, int tombstones);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} now answers from an HNSW graph of {Images} images, built in {ElapsedMs:F0} ms, with the {BacklogProducts} products written during the build brought over")]
    private partial void LogGraphBuilt(string catalog, int shard, int images, int backlogProducts, double elapsedMs);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning,
        Message = "Shard {Catalog}/{Shard} failed to build its HNSW graph; the current index keeps answering and a later write retries")]
    private partial void LogGraphBuildFailed(Exception exception, string catalog, int shard);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} loaded its HNSW graph of {Images} images ({GraphBytes} bytes) in {ElapsedMs:F0} ms instead of rebuilding it")]
    private partial void LogGraphLoaded(string catalog, int shard, int images, long graphBytes, double elapsedMs);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning,
        Message = "Shard {Catalog}/{Shard} ignores its saved graph {GraphPath}: {Reason}. The exact index answers and the graph is rebuilt from the shard's vectors")]
    private partial void LogGraphRefused(string catalog, int shard, string graphPath, string reason);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning,
        Message = "Shard {Catalog}/{Shard} dropped its HNSW graph after failing to apply a write to product {ProductId}; the exact index answers until a rebuild")]
    private partial void LogGraphDropped(Exception exception, string catalog, int shard, string productId);
}
