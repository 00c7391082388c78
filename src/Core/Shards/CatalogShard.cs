using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using LogDelete = OutfitFinder.Core.Shards.Files.ProductDeleted;
using LogUpsert = OutfitFinder.Core.Shards.Files.ProductUpserted;

using OutfitFinder.Core.Telemetry;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// One partition of a catalog: an exact vector index plus each product's category and metadata,
/// rebuilt on open from the shard's last snapshot and the log written since, and above a
/// configured size a second index (an HNSW graph) that answers searches (see <c>CatalogShard.Graph.cs</c>).
/// A write is appended to the log (durably) before the in-memory state changes and before the caller is
/// answered, so an acknowledged write survives the process.
/// </summary>
/// <remarks>
/// <para>When the current log generation grows past <see cref="ShardCompactionOptions"/>, the shard
/// compacts: inside a write it starts a new log generation and copies its state; the copy is
/// encoded and written as a snapshot on the thread pool while the shard keeps answering, and later
/// writes land in the new generation (see <c>CatalogShard.Compaction.cs</c>). <see cref="ShardStore"/>
/// explains why a crash at any step loses nothing.</para>
/// <para><b>Threading contract.</b> The owner runs a write (<see cref="UpsertAsync"/>, <see cref="UpsertBatchAsync"/>,
/// <see cref="DeleteAsync"/>) alone: never together with another write or with a read (search, get, counts,
/// stats, samples); reads may run concurrently with each other. An Orleans grain gets this from its turns,
/// with reads marked <c>[ReadOnly]</c>. The one thing the shard does on its own is a background build's last
/// step: bringing the products written during the build into the new index and swapping it in. That step must
/// not interleave with a write, so the shard serialises the two itself with a write gate (an async lock) that
/// each write holds from start to end and the step takes for each of its synchronous parts. The gate needs no
/// scheduler from the host: in a grain it is never contended by writes (turns already serialise them) and the
/// step's continuations run on the grain's scheduler as before; without a silo (tests, tools) it is what keeps
/// the step off a running write. The step only reads what searches read, and publishes the new index with one
/// reference write, so searches running meanwhile see the old index or the new one, each whole.</para>
/// </remarks>
public sealed partial class CatalogShard : IAsyncDisposable
{
    private readonly ShardDefinition _definition;
    private readonly ShardCompactionOptions _compaction;
    private readonly ShardIndexOptions _indexSettings;
    private readonly ShardIndexFactory? _secondIndex;
    private readonly GraphBuildSlots _graphBuildSlots;
    private readonly ILogger _logger;

    // The exact index is also the shard's product table: each product's category, metadata and image count live in its
    // bookkeeping (one slot per product, no object per product), not in a dictionary of the shard's own.
    private readonly FlatVectorIndex _index;
    private readonly SearchBatcher? _scanBatcher;
    private readonly ShardStore _shardStore;
    private readonly ShardFieldIndex _fields;

    /// <summary>Held by every write from start to end and by each synchronous part of a build's completion.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Task? _runningCompaction;
    private bool _closed;

    private CatalogShard(IBlobStore store, ShardDefinition definition, ShardIndexOptions indexOptions,
        ShardCompactionOptions compactionOptions, GraphBuildSlots graphBuildSlots, ILogger logger, bool following = false)
    {
        _following = following;
        this._definition = definition;
        (_compaction, _indexSettings, this._graphBuildSlots, this._logger) = (compactionOptions, indexOptions, graphBuildSlots, logger);
        _secondIndex = ShardIndexFactory.For(indexOptions, definition.Dimension, definition.Metric);
        _index = new FlatVectorIndex(definition.Dimension, definition.Metric, indexOptions.CreateVectorStorage());

        // Concurrent exact scans share one pass over the vectors (searches interleave: they are
        // read-only). A write waits for the searches in flight, so the batch never sees it half done.
        _scanBatcher = definition.Metric is DistanceMetric.Cosine or DistanceMetric.Dot
            ? new SearchBatcher(definition.Dimension, (queries, k, category) => _index.SearchBatch(queries, k, category))
            : null;
        _shardStore = new ShardStore(store, definition.Folder, logger);
        _fields = new ShardFieldIndex(new FieldSchema(definition.Fields));
    }

    /// <summary>The shard's identity and embedding space.</summary>
    public ShardDefinition Definition => _definition;

    /// <summary>
    /// Opens the shard stored in <paramref name="definition"/>'s folder (an empty folder is an empty shard): loads
    /// its snapshot and saved graph, replays the log written since, and starts a graph build if one is due.
    /// </summary>
    /// <param name="store">Where the shard's snapshot, saved graph and log live.</param>
    /// <param name="definition">Which shard, its embedding space and its folder in <paramref name="store"/>.</param>
    /// <param name="indexOptions">Its indexes and vector storage (<c>Search</c>).</param>
    /// <param name="compactionOptions">When its log is folded into a snapshot (<c>Storage:Compaction</c>).</param>
    /// <param name="graphBuildSlots">The process-wide limit on concurrent builds; null for one of this shard's own.</param>
    /// <param name="logger">Receives the shard's events (ids 1001-1015) and its store's.</param>
    /// <param name="cancellationToken">Cancels the load; the shard is then closed.</param>
    /// <exception cref="InvalidDataException">The snapshot holds vectors of another dimension or metric.</exception>
    public static async Task<CatalogShard> OpenAsync(IBlobStore store, ShardDefinition definition, ShardIndexOptions indexOptions,
        ShardCompactionOptions compactionOptions, GraphBuildSlots? graphBuildSlots, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(definition);
        var shard = new CatalogShard(store, definition, indexOptions, compactionOptions,
            graphBuildSlots ?? new GraphBuildSlots(Microsoft.Extensions.Options.Options.Create(indexOptions)), logger);
        try
        {
            await shard.LoadAsync(cancellationToken);
            shard.TrackOpen();
            return shard;
        }
        catch
        {
            await shard.DisposeAsync();
            throw;
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // The snapshot streams straight into the index, product by product: no copy of the shard is ever held whole.
        var recovery = _following
            ? await _shardStore.OpenForFollowingAsync(LoadSnapshotProduct, cancellationToken)
            : await _shardStore.OpenAsync(LoadSnapshotProduct, cancellationToken);
        if (recovery.SnapshotHeader is { } header)
        {
            if (header.Dimension != _definition.Dimension || header.Metric != _definition.Metric)
            {
                throw new InvalidDataException(
                    $"Shard snapshot '{_shardStore.SnapshotPath}' holds {header.Dimension}-float {header.Metric} vectors; catalog '{_definition.Catalog}' is {_definition.Dimension}-float {_definition.Metric}.");
            }

            await LoadGraphAsync(cancellationToken);
        }

        foreach (var record in recovery.Records)
        {
            Apply(record);
        }

        LogShardLoaded(_definition.Catalog, _definition.Shard, _index.ProductCount, _index.ImageCount, recovery.SnapshotHeader?.ProductCount ?? 0,
            recovery.Records.Count, recovery.Generations, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        StartGraphBuildIfDue();
    }

    /// <summary>
    /// Closes the shard: cancels a graph build, finishes the searches in flight, and waits for a snapshot
    /// still being written. Later calls do nothing; a write after it throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        // Waits for a write or a build's completion step in progress: after this, nothing changes the state.
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            TrackClosed();
            CancelGraphBuild();
        }
        finally
        {
            _writeGate.Release();
        }

        if (_scanBatcher is not null)
        {
            await _scanBatcher.DisposeAsync();
        }

        // A snapshot still being written must land before another owner can open the shard:
        // otherwise it could replace a newer snapshot that owner wrote and lose its records.
        if (_runningCompaction is { } pending)
        {
            await pending.WaitAsync(cancellationToken);
        }

        // Last: the batcher has finished its pass, and compactions and graph builds read frozen clones.
        _index.Dispose();
        _graph?.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await CloseAsync();

    /// <summary>Adds or replaces a product once its log record is durable; true when it was new.</summary>
    /// <exception cref="ArgumentException">Its vectors do not match its image count and the dimension, or hold NaN or infinity.</exception>
    public async Task<bool> UpsertAsync(ShardUpsert product, CancellationToken cancellationToken = default)
    {
        var record = ToRecord(product);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfFollower();
            var existed = _index.Contains(product.ProductId);
            await AppendAsync([record], cancellationToken);
            Apply(record);
            StartGraphBuildIfDue();
            await CompactIfDueAsync();
            return !existed;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Adds or replaces products with one durable log append, all or none; returns how many were new.</summary>
    /// <exception cref="ArgumentException">A product's vectors are invalid; nothing is written.</exception>
    public async Task<int> UpsertBatchAsync(IReadOnlyList<ShardUpsert> batch, CancellationToken cancellationToken = default)
    {
        // Validate everything before writing anything, so a bad item cannot half-apply a batch.
        var records = batch.Select(ToRecord).ToList();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfFollower();
            await AppendAsync(records, cancellationToken);
            var created = 0;
            foreach (var record in records)
            {
                created += _index.Contains(record.ProductId) ? 0 : 1;
                Apply(record);
            }

            StartGraphBuildIfDue();
            await CompactIfDueAsync();
            return created;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private LogUpsert ToRecord(ShardUpsert product)
    {
        var vectors = product.Vectors;
        if (product.ImageCount < 1 || vectors.Length != product.ImageCount * _definition.Dimension)
        {
            throw new ArgumentException(
                $"Product '{product.ProductId}' sends {vectors.Length} floats for {product.ImageCount} images; dimension is {_definition.Dimension}.");
        }

        if (vectors.Any(value => !float.IsFinite(value)))
        {
            throw new ArgumentException($"Product '{product.ProductId}' has NaN or infinite vector values.");
        }

        return new LogUpsert(product.ProductId, product.Category, product.MetadataJson, product.ImageCount, vectors);
    }

    /// <summary>Removes a product once its log record is durable; false when it was not there (nothing is written).</summary>
    public async Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfFollower();
            if (!_index.Contains(productId))
            {
                return false;
            }

            var record = new LogDelete(productId);
            await AppendAsync([record], cancellationToken);
            Apply(record);
            StartGraphBuildIfDue();
            await CompactIfDueAsync();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A stored product, or null.</summary>
    public ShardProduct? Get(string productId) => _index.TryGetProduct(productId, out var product, out var metadata)
        ? new ShardProduct(product.ProductId, product.Category, metadata, product.ImageCount)
        : null;

    /// <summary>Products and image vectors held.</summary>
    public ShardSize Size => new(_index.ProductCount, _index.ImageCount);

    /// <summary>
    /// Estimated bytes the shard's indexes hold: the exact index's vectors and rows, plus the graph's when one
    /// is built. Product metadata and the log are left out; it is the figure that grows with the catalog.
    /// </summary>
    public long MemoryBytes => _index.MemoryBytes + (_graph?.MemoryBytes ?? 0);

    /// <summary>
    /// The shard's top-k products for the query, best first, ties by product id: from the second index once it
    /// holds every product, else from the exact scan (concurrent cosine and dot scans share one pass).
    /// </summary>
    /// <exception cref="ArgumentException">The ef is out of range, or the query's length or values are invalid.</exception>
    public async Task<IReadOnlyList<ShardSearchHit>> SearchAsync(ShardSearch query, CancellationToken cancellationToken = default)
    {
        // Read once: a build's completion may swap a new index in while this search runs.
        var answering = _graph;
        var started = Stopwatch.GetTimestamp();
        var kind = answering is null ? SearchKinds.Scan : SearchKinds.Graph;
        var k = Math.Min(query.K, _index.ProductCount);
        // Rows scored: every vector for a scan; for a graph, the candidate list it keeps (ef), the work it is sized by.
        var rows = answering is null ? _index.ImageCount : Math.Max(query.Ef ?? _indexSettings.DefaultEf, k);
        // Started before the empty case, so that a search's trace shows every shard it asked.
        using var activity = StartSearchActivity(query, kind, rows);
        if (_index.ProductCount == 0)
        {
            RecordSearch(kind, 0, started);
            return [];
        }

        IReadOnlyList<IndexHit> hits;
        try
        {
            var filter = ParseFilter(query.FilterJson);
            hits = filter is not null ? SearchFiltered(answering, query, filter, k, activity)
                : answering is null && _scanBatcher is not null && ValidEf(query)
                ? await _scanBatcher.SearchAsync(query.Vector, k, query.Category, cancellationToken)
                : SearchIndex(answering, query, k);
        }
        catch (Exception exception)
        {
            activity.RecordFailure(exception);
            throw;
        }

        RecordSearch(kind, rows, started);
        activity?.SetTag(OutfitFinderTelemetry.Tags.Hits, hits.Count);
        return [.. hits.Select(hit =>
        {
            _index.TryGetProduct(hit.ProductId, out var product, out var metadata);
            return new ShardSearchHit(hit.ProductId, hit.Score, hit.ImageIndex, product.Category, metadata);
        })];
    }

    private void Apply(ShardLogRecord record)
    {
        switch (record)
        {
            case LogUpsert upsert:
                _index.Upsert(upsert.ProductId, upsert.Category, upsert.MetadataJson, upsert.Vectors);
                _fields.Set(upsert.ProductId, upsert.Category, upsert.MetadataJson, upsert.ImageCount);
                break;
            case LogDelete delete:
                _index.Remove(delete.ProductId);
                _fields.Remove(delete.ProductId);
                break;
        }

        ApplyToGraph(record);
    }

    // Called by the snapshot reader for each product in turn; the span is its buffer, copied by the index.
    private void LoadSnapshotProduct(SnapshotProduct product, ReadOnlySpan<float> vectors)
    {
        if (vectors.Length != product.ImageCount * _definition.Dimension)
        {
            throw new InvalidDataException(
                $"Shard snapshot '{_shardStore.SnapshotPath}' holds {vectors.Length} floats for the {product.ImageCount} images of product '{product.ProductId}'; catalog '{_definition.Catalog}' is {_definition.Dimension}-float.");
        }

        _index.Upsert(product.ProductId, product.Category, product.MetadataJson, vectors);
        _fields.Set(product.ProductId, product.Category, product.MetadataJson, product.ImageCount);
    }

    /// <summary>
    /// Up to <paramref name="max"/> products with their first image's vector, spread evenly over the
    /// shard's products in id order (the same products for the same contents).
    /// </summary>
    public IReadOnlyList<ShardVectorSample> SampleVectors(int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var ids = _index.Products.Select(product => product.ProductId).Order(StringComparer.Ordinal).ToArray();
        var take = Math.Min(max, ids.Length);
        var samples = new List<ShardVectorSample>(take);
        for (var i = 0; i < take; i++)
        {
            // Evenly spaced in id order rather than the first few: ids often start with a category prefix.
            var productId = ids[(int)((long)i * ids.Length / take)];
            if (_index.TryGetProduct(productId, out var product, out _) && _index.TryCopyVectors(productId, out var vectors))
            {
                samples.Add(new ShardVectorSample(product.ProductId, product.Category, vectors[.._definition.Dimension]));
            }
        }

        return samples;
    }
}
