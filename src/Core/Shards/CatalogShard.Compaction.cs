using System.Diagnostics;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Shards;

public sealed partial class CatalogShard
{
    /// <summary>
    /// Starts a compaction when the current log generation has reached a limit, or a newly built
    /// graph has not been saved yet (so a restart loads it instead of rebuilding), and none is running.
    /// Runs at the end of a write, after the write is durable and applied, so the copy holds
    /// exactly the records of the generations before the new one. Never fails the write: a failed
    /// compaction is logged and retried by a later write.
    /// </summary>
    private async Task CompactIfDueAsync()
    {
        if (_runningCompaction is { IsCompleted: false }
            || (_shardStore.CurrentLogBytes < _compaction.LogBytes && _shardStore.CurrentLogRecords < _compaction.LogRecords
                && _shardStore.CurrentLogAppends < _compaction.LogAppends && !GraphNeedsPersisting))
        {
            return;
        }

        var (logBytes, logRecords, generation) = (_shardStore.CurrentLogBytes, _shardStore.CurrentLogRecords, _shardStore.CurrentGeneration);
        var (catalog, shard) = (_definition.Catalog, _definition.Shard);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var replayFrom = await _shardStore.StartNewGenerationAsync(CancellationToken.None);
            var snapshot = FreezeState(replayFrom);
            LogCompactionStarted(catalog, shard, generation, logBytes, logRecords, snapshot.Header.ProductCount,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var target = _shardStore;
            _runningCompaction = Task.Run(() => WriteSnapshotAsync(target, snapshot, catalog, shard));
        }
        catch (Exception e)
        {
            LogCompactionFailed(e, catalog, shard, generation);
        }
    }

    /// <summary>
    /// The state as of this write, for a snapshot written outside it: the product rows, a frozen clone of the
    /// vectors in the shard's own storage (a mapped file stays off the heap), and the graph's saved form.
    /// </summary>
    private FrozenSnapshot FreezeState(long replayFrom)
    {
        var rows = new SnapshotProduct[_index.ProductCount];
        var row = 0;
        foreach (var (product, metadata) in _index.ProductsWithMetadata())
        {
            rows[row++] = new SnapshotProduct(product.ProductId, product.Category, metadata, product.ImageCount);
        }

        var vectors = _index.Clone(_index.Storage);
        try
        {
            var header = new ShardSnapshotHeader(_definition.Dimension, _index.Metric, replayFrom, rows.Length, _index.ImageCount);
            return new FrozenSnapshot(header, rows, vectors, SaveGraphForSnapshot());
        }
        catch
        {
            vectors.Dispose();
            throw;
        }
    }

    // Outside the write: touches only its arguments and the (thread-safe) logger.
    private async Task WriteSnapshotAsync(ShardStore target, FrozenSnapshot snapshot, string catalog, int shard)
    {
        var started = Stopwatch.GetTimestamp();
        using (snapshot)
        {
            try
            {
                var bytes = await target.WriteSnapshotAsync(snapshot.Header, snapshot.Products, snapshot.VectorsOf, snapshot.Graph, CancellationToken.None);
                LogCompacted(catalog, shard, snapshot.Header.ProductCount, snapshot.Header.ImageCount, bytes,
                    snapshot.Header.ReplayFromGeneration, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                CountCompaction(catalog, succeeded: true);
            }
            catch (Exception e)
            {
                // Nothing is lost: the old snapshot and every log generation after it are still there.
                LogCompactionFailed(e, catalog, shard, snapshot.Header.ReplayFromGeneration - 1);
                CountCompaction(catalog, succeeded: false);
            }
        }
    }

    /// <summary>A shard's state frozen inside one write, owned by the snapshot write that streams it out.</summary>
    private sealed class FrozenSnapshot(ShardSnapshotHeader header, SnapshotProduct[] products, FlatVectorIndex vectors, Stream? graph)
        : IDisposable
    {
        public ShardSnapshotHeader Header { get; } = header;

        public Stream? Graph { get; } = graph;

        public IReadOnlyList<SnapshotProduct> Products { get; } = products;

        private float[] _buffer = [];

        /// <summary>A product's vectors, in one buffer reused for the next product (the writer copies them out first).</summary>
        public ReadOnlyMemory<float> VectorsOf(SnapshotProduct product)
        {
            var length = product.ImageCount * Header.Dimension;
            if (_buffer.Length < length)
            {
                _buffer = new float[length];
            }

            return vectors.TryCopyVectors(product.ProductId, _buffer.AsSpan(0, length))
                ? _buffer.AsMemory(0, length)
                : throw new InvalidOperationException($"Product '{product.ProductId}' is listed but has no vectors in the index.");
        }

        public void Dispose()
        {
            vectors.Dispose();
            Graph?.Dispose();
        }
    }
}
