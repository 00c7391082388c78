using System.Diagnostics;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using LogDelete = OutfitFinder.Core.Shards.Files.ProductDeleted;
using LogUpsert = OutfitFinder.Core.Shards.Files.ProductUpserted;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// The shard's optional second index (an HNSW graph, see <see cref="ShardIndexOptions"/> and
/// <see cref="ShardIndexFactory"/>): built off the shard's writes, swapped in once it holds every write,
/// kept current by every later write, saved with each snapshot and loaded with it on open.
/// </summary>
/// <remarks>
/// <para>Invariant: when <c>graph</c> is set it holds exactly the products of the exact index, so it
/// can answer any search. A build starts from a copy of the products taken inside a write;
/// the id of every product written after that copy is kept in <c>graphBacklog</c>, and the build's
/// completion brings those products into the new graph as the exact index holds them then, the last
/// of them in one synchronous step under the write gate (never between a write's log append and
/// its apply), so no write is missed. Until then the previous graph, if any, or the exact scan answers.</para>
/// <para>The backlog holds ids, not the writes: a bulk load during a build queues a few dozen bytes per
/// product instead of its vectors, and a product written many times is brought over once.</para>
/// <para>Deletes and replacements tombstone graph rows; past
/// <see cref="ShardIndexOptions.RebuildTombstoneFraction"/> the graph is rebuilt the same way.</para>
/// </remarks>
public sealed partial class CatalogShard
{
    /// <summary>
    /// Backlog writes replayed into a finished graph in one synchronous step under the write gate.
    /// A longer backlog (a bulk load during the build) is replayed outside the gate first, while newer
    /// writes queue again: inserting a thousand rows would otherwise stall the shard's writes for seconds.
    /// </summary>
    private const int SynchronousCatchUpLimit = 64;

    /// <summary>Backlog products read from the exact index per catch-up step outside the gate: bounds that step's copy.</summary>
    private const int CatchUpChunk = 4096;

    /// <summary>The answering second index; written by writes and by a build's completion, read by searches.</summary>
    private volatile IVectorIndex? _graph;
    private HashSet<string>? _graphBacklog;
    private CancellationTokenSource? _graphBuildCancellation;
    private bool _graphPersisted;
    private int _graphsBuilt;
    private int _graphsLoaded;
    private int _graphsPersisted;

    /// <summary>Which index answers searches and whether a graph was built, loaded or persisted since the shard opened.</summary>
    public ShardIndexState IndexState
    {
        get
        {
            var current = _graph;
            return new ShardIndexState(
                current is null ? "flat" : _secondIndex!.Name, _graphBacklog is not null, current?.ImageCount + current?.TombstoneCount ?? 0,
                current?.TombstoneCount ?? 0, _graphsBuilt, _graphsLoaded, _graphsPersisted);
        }
    }

    /// <summary>A fresh graph with a saved form has not yet been handed to a snapshot write: the next write compacts.</summary>
    private bool GraphNeedsPersisting => _graph is IPersistentVectorIndex && !_graphPersisted;

    private static bool ValidEf(ShardSearch query) => query.Ef is null or (>= 1 and <= ShardSearch.MaxEf);

    private IReadOnlyList<IndexHit> SearchIndex(IVectorIndex? answering, ShardSearch query, int k)
    {
        var ef = query.Ef ?? _indexSettings.DefaultEf;
        if (ef is < 1 or > ShardSearch.MaxEf)
        {
            throw new ArgumentException($"ef is {ef}; it must be between 1 and {ShardSearch.MaxEf}.");
        }

        if (answering is null)
        {
            return _index.Search(query.Vector, k, query.Category);
        }

        var rerank = _secondIndex!.RerankCandidates;
        if (rerank == 0)
        {
            return answering.Search(query.Vector, k, new IndexQueryOptions(query.Category, ef));
        }

        // The index's scores are approximate (an int8 graph's codes reorder near-ties at the edge of the top k):
        // take a few more candidates and re-rank them from the float vectors the shard holds anyway.
        var candidates = answering.Search(query.Vector, rerank * k, new IndexQueryOptions(query.Category, Math.Max(ef, rerank * k)));
        return _index.Rescore(query.Vector, candidates.Select(hit => hit.ProductId), k);
    }

    /// <summary>Loads the graph saved with the snapshot just loaded, if it is whole and bound to it.</summary>
    private async Task LoadGraphAsync(CancellationToken cancellationToken)
    {
        if (_secondIndex is not { CanLoad: true } kind)
        {
            return;
        }

        var (catalog, shard) = (_definition.Catalog, _definition.Shard);
        var started = Stopwatch.GetTimestamp();

        // The payload is checked whole before it is parsed; with mapped vectors it waits in a scratch file, off the heap.
        await using var spool = _index.Storage.Folder is { } folder ? ScratchFile(folder) : (Stream)new MemoryStream();
        var (found, refused) = await _shardStore.ReadGraphAsync(spool, cancellationToken);
        if (!found)
        {
            if (refused is not null)
            {
                LogGraphRefused(catalog, shard, _shardStore.GraphPath, refused);
            }

            return;
        }

        var graphBytes = spool.Length;
        spool.Position = 0;
        var (loaded, refusal) = kind.Load(spool);
        if (loaded is null)
        {
            LogGraphRefused(catalog, shard, _shardStore.GraphPath, refusal ?? "this index kind has no saved form");
            return;
        }

        if (loaded.Dimension != _index.Dimension || loaded.Metric != _index.Metric
            || loaded.ProductCount != _index.ProductCount || loaded.ImageCount != _index.ImageCount)
        {
            LogGraphRefused(catalog, shard, _shardStore.GraphPath,
                $"it holds {loaded.ProductCount} products, {loaded.ImageCount} {loaded.Dimension}-float {loaded.Metric} vectors; the snapshot holds {_index.ProductCount} products, {_index.ImageCount} {_index.Dimension}-float {_index.Metric} vectors");
            loaded.Dispose();
            return;
        }

        _graph = loaded;
        _graphPersisted = true;
        _graphsLoaded++;
        LogGraphLoaded(catalog, shard, loaded.ImageCount, graphBytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Keeps the answering graph and any running build's backlog in step with a write just applied.</summary>
    private void ApplyToGraph(ShardLogRecord record)
    {
        _graphBacklog?.Add(record.ProductId);
        if (_graph is not { } current)
        {
            return;
        }

        try
        {
            ApplyTo(current, record);
        }
        catch (Exception e)
        {
            // The exact index took the write; a graph that did not must stop answering.
            LogGraphDropped(e, _definition.Catalog, _definition.Shard, record.ProductId);
            _graph = null;
        }
    }

    private static void ApplyTo(IVectorIndex target, ShardLogRecord record)
    {
        switch (record)
        {
            case LogUpsert upsert:
                target.Upsert(upsert.ProductId, upsert.Category, upsert.Vectors);
                break;
            case LogDelete delete:
                target.Remove(delete.ProductId);
                break;
        }
    }

    /// <summary>
    /// Starts a background build when the shard should have a graph and has none, or its graph is
    /// mostly tombstones, and no build is running. Runs in a write (or on open) after the write is
    /// applied, so the copy holds every write before the backlog starts.
    /// </summary>
    private void StartGraphBuildIfDue()
    {
        if (_graphBacklog is not null || _secondIndex is not { } kind || !kind.Wants(_index.ImageCount))
        {
            return;
        }

        var current = _graph;
        if (current is not null && current.TombstoneCount <= _indexSettings.RebuildTombstoneFraction * Math.Max(1, current.ImageCount))
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();

        // A frozen copy in the shard's own vector storage: with mapped files, the build's copy is one more file
        // in the page cache instead of every vector again on the heap. This runs after a write is durable and
        // applied, so a failure here (a full scratch disk) must not fail that write: a later write retries.
        FlatVectorIndex frozen;
        try
        {
            frozen = _index.Clone(_index.Storage);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            LogGraphBuildFailed(e, _definition.Catalog, _definition.Shard);
            return;
        }

        var backlog = new HashSet<string>(StringComparer.Ordinal);
        var cancellation = new CancellationTokenSource();
        (_graphBacklog, _graphBuildCancellation) = (backlog, cancellation);
        LogGraphBuildStarted(_definition.Catalog, _definition.Shard, frozen.ProductCount, _index.ImageCount, current is not null,
            current?.TombstoneCount ?? 0);
        var build = Task.Run(async () =>
        {
            using (frozen)
            {
                using var slot = await _graphBuildSlots.EnterAsync(cancellation.Token);
                return BuildGraph(kind, frozen, cancellation.Token);
            }
        });
        _ = FinishGraphBuildAsync(build, backlog, cancellation, started);
    }

    // Outside the shard's writes: touches only its arguments.
    private static IVectorIndex BuildGraph(ShardIndexFactory kind, FlatVectorIndex frozen, CancellationToken cancellationToken)
    {
        var built = kind.Create();
        try
        {
            foreach (var product in frozen.Products)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (frozen.TryCopyVectors(product.ProductId, out var vectors))
                {
                    built.Upsert(product.ProductId, product.Category, vectors);
                }
            }

            return built;
        }
        catch
        {
            built.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Brings the products written during the build into the built graph and swaps it in. Each step that reads
    /// the shard's state holds the write gate, so it never interleaves with a write (see the class's threading
    /// contract); the last step, replaying the rest of the backlog and swapping the graph in, is one of them.
    /// </summary>
    private async Task FinishGraphBuildAsync(Task<IVectorIndex> build, HashSet<string> backlog,
        CancellationTokenSource cancellation, long started)
    {
        IVectorIndex built;
        try
        {
            built = await build;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            await EndFailedBuildAsync(e, backlog, cancellation);
            return;
        }

        var replayed = 0;
        try
        {
            while (true)
            {
                List<GraphChange> chunk;
                await _writeGate.WaitAsync(CancellationToken.None);
                try
                {
                    if (!ReferenceEquals(_graphBacklog, backlog))
                    {
                        // Cancelled: the shard closed.
                        built.Dispose();
                        return;
                    }

                    if (backlog.Count <= SynchronousCatchUpLimit)
                    {
                        var rest = TakeFromBacklog(backlog, int.MaxValue);
                        rest.ForEach(change => ApplyTo(built, change));
                        replayed += rest.Count;

                        // The replaced graph is left to the collector, not disposed: a search may still be walking it.
                        _graph = built;
                        _graphPersisted = false;
                        _graphsBuilt++;
                        EndBuild(backlog, cancellation);
                        LogGraphBuilt(_definition.Catalog, _definition.Shard, built.ImageCount, replayed,
                            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        return;
                    }

                    // A chunk is read here, under the gate, and applied on the thread pool; writes meanwhile add their ids again.
                    chunk = TakeFromBacklog(backlog, CatchUpChunk);
                }
                finally
                {
                    _writeGate.Release();
                }

                await Task.Run(() => chunk.ForEach(change => ApplyTo(built, change)), cancellation.Token);
                replayed += chunk.Count;
            }
        }
        catch (OperationCanceledException)
        {
            built.Dispose();
        }
        catch (Exception e)
        {
            built.Dispose();
            await EndFailedBuildAsync(e, backlog, cancellation);
        }
    }

    private async Task EndFailedBuildAsync(Exception e, HashSet<string> backlog, CancellationTokenSource cancellation)
    {
        await _writeGate.WaitAsync(CancellationToken.None);
        try
        {
            LogGraphBuildFailed(e, _definition.Catalog, _definition.Shard);
            EndBuild(backlog, cancellation);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Removes up to <paramref name="max"/> ids from the backlog and reads each product as the exact index holds it
    /// now: its vectors to upsert, or none when it was deleted. Runs under the write gate.
    /// </summary>
    private List<GraphChange> TakeFromBacklog(HashSet<string> backlog, int max)
    {
        var changes = new List<GraphChange>(Math.Min(max, backlog.Count));
        foreach (var productId in backlog)
        {
            if (changes.Count == max)
            {
                break;
            }

            changes.Add(_index.TryCopyVectors(productId, out var vectors) && _index.TryGetProduct(productId, out var product, out _)
                ? new GraphChange(productId, product.Category, vectors)
                : new GraphChange(productId, null, null));
        }

        foreach (var change in changes)
        {
            backlog.Remove(change.ProductId);
        }

        return changes;
    }

    private static void ApplyTo(IVectorIndex target, GraphChange change)
    {
        if (change.Vectors is null)
        {
            target.Remove(change.ProductId);
        }
        else
        {
            target.Upsert(change.ProductId, change.Category, change.Vectors);
        }
    }

    /// <summary>A backlog product as the exact index held it when read: vectors to upsert, or null when deleted.</summary>
    private readonly record struct GraphChange(string ProductId, string? Category, float[]? Vectors);

    private void EndBuild(HashSet<string> backlog, CancellationTokenSource cancellation)
    {
        if (ReferenceEquals(_graphBacklog, backlog))
        {
            (_graphBacklog, _graphBuildCancellation) = (null, null);
        }

        cancellation.Dispose();
    }

    private void CancelGraphBuild()
    {
        _graphBuildCancellation?.Cancel();
        (_graphBacklog, _graphBuildCancellation) = (null, null);
    }

    /// <summary>
    /// The graph's saved form for the snapshot being frozen in this write, positioned at its start, or null without
    /// a graph that has one. Serialised inside the write because later writes change the graph; with mapped
    /// vectors, into a scratch file beside them (deleted when closed) rather than onto the heap.
    /// </summary>
    private Stream? SaveGraphForSnapshot()
    {
        if (_graph is not IPersistentVectorIndex persistent)
        {
            return null;
        }

        Stream stream = _index.Storage.Folder is { } folder ? ScratchFile(folder) : new MemoryStream();
        try
        {
            persistent.Save(stream);
            stream.Position = 0;
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _graphPersisted = true;
        _graphsPersisted++;
        return stream;
    }

    private static FileStream ScratchFile(string folder)
    {
        Directory.CreateDirectory(folder);
        return new FileStream(Path.Combine(folder, $"graph-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16, FileOptions.DeleteOnClose);
    }
}
