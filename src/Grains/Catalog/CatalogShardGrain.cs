using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Hosting;
using LogDelete = OutfitFinder.Core.Shards.Files.ProductDeleted;
using LogUpsert = OutfitFinder.Core.Shards.Files.ProductUpserted;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// One partition of a catalog: an exact vector index plus each product's category and metadata,
/// rebuilt on activation from the shard's last snapshot and the log written since, and above a
/// configured size an HNSW graph that answers searches (see <c>CatalogShardGrain.Graph.cs</c>). A write is
/// appended to the log (durably) before the in-memory state changes and before the caller is
/// answered, so an acknowledged write survives the silo.
/// </summary>
/// <remarks>
/// When the current log generation grows past <see cref="ShardCompactionOptions"/>, the shard
/// compacts: under a write's turn it starts a new log generation and copies its state; the copy is
/// encoded and written as a snapshot on the thread pool while the shard keeps answering, and later
/// writes land in the new generation. <see cref="ShardStore"/> explains why a crash at any step
/// loses nothing.
/// </remarks>
public sealed partial class CatalogShardGrain(
    IBlobStore store,
    IOptions<ShardCompactionOptions> compactionOptions,
    IOptions<ShardIndexOptions> indexOptions,
    GraphBuildSlots graphBuildSlots,
    ILogger<CatalogShardGrain> logger) : Grain, ICatalogShardGrain
{
    private readonly Dictionary<string, ProductView> products = new(StringComparer.Ordinal);
    private readonly ShardCompactionOptions compaction = compactionOptions.Value;
    private readonly ShardIndexOptions indexSettings = indexOptions.Value;
    private FlatVectorIndex index = null!;
    private SearchBatcher? scanBatcher;
    private ShardStore shardStore = null!;
    private CatalogDefinition definition = null!;
    private string catalogName = "";
    private int shardNumber;
    private Task? runningCompaction;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, shard) = ShardKeys.Parse(this.GetPrimaryKeyString());
        (catalogName, shardNumber) = (catalog, shard);
        definition = await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{catalog}' does not exist.");
        if (!DistanceMetrics.TryParse(definition.Metric, out var metric))
        {
            throw new InvalidOperationException($"Catalog '{catalog}' has unknown metric '{definition.Metric}'.");
        }

        index = new FlatVectorIndex(definition.Dimension, metric, indexSettings.CreateVectorStorage());

        // Concurrent exact scans share one pass over the vectors (searches interleave: they are
        // read-only). A write waits for the searches in flight, so the batch never sees it half done.
        scanBatcher = metric is DistanceMetric.Cosine or DistanceMetric.Dot
            ? new SearchBatcher(definition.Dimension, (queries, k, category) => index.SearchBatch(queries, k, category))
            : null;
        shardStore = new ShardStore(store, CatalogPaths.ShardFolder(catalog, shard), logger);
        var started = Stopwatch.GetTimestamp();
        // The snapshot streams straight into the index, product by product: no copy of the shard is ever held whole.
        var recovery = await shardStore.OpenAsync(LoadSnapshotProduct, cancellationToken);
        if (recovery.SnapshotHeader is { } header)
        {
            if (header.Dimension != definition.Dimension || header.Metric != metric)
            {
                throw new InvalidDataException(
                    $"Shard snapshot '{shardStore.SnapshotPath}' holds {header.Dimension}-float {header.Metric} vectors; catalog '{definition.Name}' is {definition.Dimension}-float {metric}.");
            }

            await LoadGraphAsync(cancellationToken);
        }

        foreach (var record in recovery.Records)
        {
            Apply(record);
        }

        LogShardLoaded(catalog, shard, products.Count, index.ImageCount, recovery.SnapshotHeader?.ProductCount ?? 0,
            recovery.Records.Count, recovery.Generations, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        StartGraphBuildIfDue();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CancelGraphBuild();
        if (scanBatcher is not null)
        {
            await scanBatcher.DisposeAsync();
        }

        // A snapshot still being written must land before another activation can open the shard:
        // otherwise it could replace a newer snapshot that activation wrote and lose its records.
        if (runningCompaction is { } pending)
        {
            await pending.WaitAsync(cancellationToken);
        }

        // Last: the batcher has finished its pass, and compactions and graph builds read frozen clones.
        index?.Dispose();
    }

    /// <inheritdoc />
    public async Task<UpsertStatus> UpsertAsync(ProductUpsert product, CancellationToken cancellationToken = default)
    {
        var record = ToRecord(product);
        var existed = products.ContainsKey(product.ProductId);
        await shardStore.AppendAsync([record], cancellationToken);
        Apply(record);
        StartGraphBuildIfDue();
        await CompactIfDueAsync();
        return existed ? UpsertStatus.Replaced : UpsertStatus.Created;
    }

    /// <inheritdoc />
    public async Task<int> UpsertBatchAsync(ProductUpsert[] batch, CancellationToken cancellationToken = default)
    {
        // Validate everything before writing anything, so a bad item cannot half-apply a batch.
        var records = batch.Select(ToRecord).ToList();
        await shardStore.AppendAsync(records, cancellationToken);
        var created = 0;
        foreach (var record in records)
        {
            created += products.ContainsKey(record.ProductId) ? 0 : 1;
            Apply(record);
        }

        StartGraphBuildIfDue();
        await CompactIfDueAsync();
        return created;
    }

    private LogUpsert ToRecord(ProductUpsert product)
    {
        var vectors = PackedVectors.Unpack(product.Vectors);
        if (product.ImageCount < 1 || vectors.Length != product.ImageCount * definition.Dimension)
        {
            throw new ArgumentException(
                $"Product '{product.ProductId}' sends {vectors.Length} floats for {product.ImageCount} images; dimension is {definition.Dimension}.");
        }

        if (vectors.Any(value => !float.IsFinite(value)))
        {
            throw new ArgumentException($"Product '{product.ProductId}' has NaN or infinite vector values.");
        }

        return new LogUpsert(product.ProductId, product.Category, product.MetadataJson, product.ImageCount, vectors);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default)
    {
        if (!products.ContainsKey(productId))
        {
            return false;
        }

        var record = new LogDelete(productId);
        await shardStore.AppendAsync([record], cancellationToken);
        Apply(record);
        StartGraphBuildIfDue();
        await CompactIfDueAsync();
        return true;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ProductView?> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        Task.FromResult(products.GetValueOrDefault(productId));

    /// <inheritdoc />
    [ReadOnly]
    public async Task<IReadOnlyList<ShardHit>> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        if (products.Count == 0)
        {
            return [];
        }

        var k = Math.Min(query.K, products.Count);
        var hits = graph is null && scanBatcher is not null && ValidEf(query)
            ? await scanBatcher.SearchAsync(query.Vector, k, query.Category, cancellationToken)
            : SearchIndex(query, k);
        return [.. hits.Select(hit =>
        {
            var product = products[hit.ProductId];
            return new ShardHit(hit.ProductId, hit.Score, hit.ImageIndex, product.Category, product.MetadataJson);
        })];
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardCounts> GetCountsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardCounts(products.Count, index.ImageCount));

    private void Apply(ShardLogRecord record)
    {
        switch (record)
        {
            case LogUpsert upsert:
                index.Upsert(upsert.ProductId, upsert.Category, upsert.Vectors);
                products[upsert.ProductId] = new ProductView(upsert.ProductId, upsert.Category, upsert.MetadataJson, upsert.ImageCount);
                break;
            case LogDelete delete:
                index.Remove(delete.ProductId);
                products.Remove(delete.ProductId);
                break;
        }

        ApplyToGraph(record);
    }

    // Called by the snapshot reader for each product in turn; the span is its buffer, copied by the index.
    private void LoadSnapshotProduct(SnapshotProduct product, ReadOnlySpan<float> vectors)
    {
        if (vectors.Length != product.ImageCount * definition.Dimension)
        {
            throw new InvalidDataException(
                $"Shard snapshot '{shardStore.SnapshotPath}' holds {vectors.Length} floats for the {product.ImageCount} images of product '{product.ProductId}'; catalog '{definition.Name}' is {definition.Dimension}-float.");
        }

        index.Upsert(product.ProductId, product.Category, vectors);
        products[product.ProductId] = new ProductView(product.ProductId, product.Category, product.MetadataJson, product.ImageCount);
    }

    /// <summary>
    /// Starts a compaction when the current log generation has reached a limit, or a newly built
    /// graph has not been saved yet (so a restart loads it instead of rebuilding), and none is running.
    /// Runs at the end of a write's turn, after the write is durable and applied, so the copy holds
    /// exactly the records of the generations before the new one. Never fails the write: a failed
    /// compaction is logged and retried by a later write.
    /// </summary>
    private async Task CompactIfDueAsync()
    {
        if (runningCompaction is { IsCompleted: false }
            || (shardStore.CurrentLogBytes < compaction.LogBytes && shardStore.CurrentLogRecords < compaction.LogRecords
                && shardStore.CurrentLogAppends < compaction.LogAppends && !GraphNeedsPersisting))
        {
            return;
        }

        var (logBytes, logRecords, generation) = (shardStore.CurrentLogBytes, shardStore.CurrentLogRecords, shardStore.CurrentGeneration);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var replayFrom = await shardStore.StartNewGenerationAsync(CancellationToken.None);
            var snapshot = FreezeState(replayFrom);
            LogCompactionStarted(catalogName, shardNumber, generation, logBytes, logRecords, snapshot.Header.ProductCount,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var (catalog, shard, target) = (catalogName, shardNumber, shardStore);
            runningCompaction = Task.Run(() => WriteSnapshotAsync(target, snapshot, catalog, shard));
        }
        catch (Exception e)
        {
            LogCompactionFailed(e, catalogName, shardNumber, generation);
        }
    }

    /// <summary>
    /// The state as of this turn, for a snapshot written off the turn: the product rows, a frozen clone of the
    /// vectors in the shard's own storage (a mapped file stays off the heap), and the graph's saved form.
    /// </summary>
    private FrozenSnapshot FreezeState(long replayFrom)
    {
        var rows = new SnapshotProduct[products.Count];
        var row = 0;
        foreach (var product in products.Values)
        {
            rows[row++] = new SnapshotProduct(product.ProductId, product.Category, product.MetadataJson, product.ImageCount);
        }

        var vectors = index.Clone(index.Storage);
        try
        {
            var header = new ShardSnapshotHeader(definition.Dimension, index.Metric, replayFrom, rows.Length, index.ImageCount);
            return new FrozenSnapshot(header, rows, vectors, SaveGraphForSnapshot());
        }
        catch
        {
            vectors.Dispose();
            throw;
        }
    }

    // Off the grain's turn: touches only its arguments and the (thread-safe) logger.
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
            }
            catch (Exception e)
            {
                // Nothing is lost: the old snapshot and every log generation after it are still there.
                LogCompactionFailed(e, catalog, shard, snapshot.Header.ReplayFromGeneration - 1);
            }
        }
    }

    /// <summary>A shard's state frozen in one turn, owned by the snapshot write that streams it out.</summary>
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

    /// <inheritdoc />
    [ReadOnly]
    public Task<IReadOnlyList<ProductVectorSample>> SampleVectorsAsync(int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var ids = products.Keys.Order(StringComparer.Ordinal).ToArray();
        var take = Math.Min(max, ids.Length);
        var samples = new List<ProductVectorSample>(take);
        for (var i = 0; i < take; i++)
        {
            // Evenly spaced in id order rather than the first few: ids often start with a category prefix.
            var product = products[ids[(int)((long)i * ids.Length / take)]];
            if (index.TryCopyVectors(product.ProductId, out var vectors))
            {
                samples.Add(new ProductVectorSample(product.ProductId, product.Category, PackedVectors.Pack(vectors.AsSpan(0, definition.Dimension))));
            }
        }

        return Task.FromResult<IReadOnlyList<ProductVectorSample>>(samples);
    }
}
