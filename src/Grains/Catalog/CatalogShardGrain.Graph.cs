using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Grains.Hosting;
using LogDelete = OutfitFinder.Core.Shards.Files.ProductDeleted;
using LogUpsert = OutfitFinder.Core.Shards.Files.ProductUpserted;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// The shard's optional HNSW graph (see <see cref="ShardIndexOptions"/>): built off the grain's
/// turn, swapped in once it holds every write, kept current by every later write, saved with each
/// snapshot and loaded with it on activation.
/// </summary>
/// <remarks>
/// <para>Invariant: when <c>graph</c> is set it holds exactly the products of the exact index, so it
/// can answer any search. A build starts from a copy of the products taken under a write's turn;
/// the id of every product written after that copy is kept in <c>graphBacklog</c>, and the build's
/// completion brings those products into the new graph as the exact index holds them then, the last
/// of them in one synchronous step on the grain's scheduler (never between a write's log append and
/// its apply), so no write is missed. Until then the previous graph, if any, or the exact scan answers.</para>
/// <para>The backlog holds ids, not the writes: a bulk load during a build queues a few dozen bytes per
/// product instead of its vectors, and a product written many times is brought over once.</para>
/// <para>Deletes and replacements tombstone graph rows; past
/// <see cref="ShardIndexOptions.RebuildTombstoneFraction"/> the graph is rebuilt the same way.</para>
/// </remarks>
public sealed partial class CatalogShardGrain
{
    /// <summary>
    /// Backlog writes replayed into a finished graph in one synchronous step on the grain's turn.
    /// A longer backlog (a bulk load during the build) is replayed off the turn first, while newer
    /// writes queue again: inserting a thousand rows would otherwise stall the shard for seconds.
    /// </summary>
    private const int SynchronousCatchUpLimit = 64;

    /// <summary>Backlog products read from the exact index per off-turn catch-up step: bounds that step's copy.</summary>
    private const int CatchUpChunk = 4096;

    private HnswIndex? graph;
    private HashSet<string>? graphBacklog;
    private CancellationTokenSource? graphBuildCancellation;
    private bool graphPersisted;
    private int graphsBuilt;
    private int graphsLoaded;
    private int graphsPersisted;

    /// <inheritdoc />
    [Orleans.Concurrency.ReadOnly]
    public Task<ShardIndexStats> GetIndexStatsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardIndexStats(
            graph is null ? "flat" : "hnsw", graphBacklog is not null, graph?.ImageCount + graph?.TombstoneCount ?? 0,
            graph?.TombstoneCount ?? 0, graphsBuilt, graphsLoaded, graphsPersisted));

    /// <summary>A fresh graph has not yet been handed to a snapshot write: the next write compacts.</summary>
    private bool GraphNeedsPersisting => graph is not null && !graphPersisted;

    private static bool ValidEf(ShardQuery query) => query.Ef is null or (>= 1 and <= ShardQuery.MaxEf);

    private IReadOnlyList<IndexHit> SearchIndex(ShardQuery query, int k)
    {
        var ef = query.Ef ?? indexSettings.DefaultEf;
        if (ef is < 1 or > ShardQuery.MaxEf)
        {
            throw new ArgumentException($"ef is {ef}; it must be between 1 and {ShardQuery.MaxEf}.");
        }

        if (graph is not { } answering)
        {
            return index.Search(query.Vector, k, query.Category);
        }

        if (answering.Options.Vectors != HnswVectors.Int8)
        {
            return answering.Search(query.Vector, k, query.Category, ef);
        }

        // An int8 graph ranks by codes, whose rounding reorders near-ties at the edge of the top k. The shard
        // holds every float vector anyway, so it takes a few more candidates from the graph and re-ranks them
        // exactly: scores then equal the exact scan's, and recall is the walk's, not the codes'.
        var candidates = answering.Search(query.Vector, Int8Candidates * k, query.Category, Math.Max(ef, Int8Candidates * k));
        return index.Rescore(query.Vector, candidates.Select(hit => hit.ProductId), k);
    }

    /// <summary>Candidates per wanted result an int8 graph hands to the exact re-ranking.</summary>
    private const int Int8Candidates = 2;

    /// <summary>How this shard's graph stores vectors: as configured, except float for metrics int8 codes cannot serve.</summary>
    private HnswVectors GraphVectors => index.Metric is DistanceMetric.Cosine or DistanceMetric.Dot
        ? indexSettings.GraphVectors
        : HnswVectors.Float;

    /// <summary>Loads the graph saved with the snapshot just loaded, if it is whole and bound to it.</summary>
    private async Task LoadGraphAsync(CancellationToken cancellationToken)
    {
        if (indexSettings.Index == ShardIndexKind.Flat)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();

        // The payload is checked whole before it is parsed; with mapped vectors it waits in a scratch file, off the heap.
        await using var spool = index.Storage.Folder is { } folder ? ScratchFile(folder) : (Stream)new MemoryStream();
        var (found, refused) = await shardStore.ReadGraphAsync(spool, cancellationToken);
        if (!found)
        {
            if (refused is not null)
            {
                LogGraphRefused(catalogName, shardNumber, shardStore.GraphPath, refused);
            }

            return;
        }

        HnswIndex loaded;
        var graphBytes = spool.Length;
        try
        {
            spool.Position = 0;
            loaded = HnswIndex.Load(spool);
        }
        catch (InvalidDataException e)
        {
            LogGraphRefused(catalogName, shardNumber, shardStore.GraphPath, e.Message);
            return;
        }

        if (loaded.Options.Vectors != GraphVectors)
        {
            LogGraphRefused(catalogName, shardNumber, shardStore.GraphPath,
                $"it stores {loaded.Options.Vectors} vectors and this shard's graphs store {GraphVectors} (Search:GraphVectors)");
            return;
        }

        if (loaded.Dimension != index.Dimension || loaded.Metric != index.Metric
            || loaded.ProductCount != products.Count || loaded.ImageCount != index.ImageCount)
        {
            LogGraphRefused(catalogName, shardNumber, shardStore.GraphPath,
                $"it holds {loaded.ProductCount} products, {loaded.ImageCount} {loaded.Dimension}-float {loaded.Metric} vectors; the snapshot holds {products.Count} products, {index.ImageCount} {index.Dimension}-float {index.Metric} vectors");
            return;
        }

        graph = loaded;
        graphPersisted = true;
        graphsLoaded++;
        LogGraphLoaded(catalogName, shardNumber, loaded.ImageCount, graphBytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Keeps the answering graph and any running build's backlog in step with a write just applied.</summary>
    private void ApplyToGraph(ShardLogRecord record)
    {
        graphBacklog?.Add(record.ProductId);
        if (graph is null)
        {
            return;
        }

        try
        {
            ApplyTo(graph, record);
        }
        catch (Exception e)
        {
            // The exact index took the write; a graph that did not must stop answering.
            LogGraphDropped(e, catalogName, shardNumber, record.ProductId);
            graph = null;
        }
    }

    private static void ApplyTo(HnswIndex target, ShardLogRecord record)
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
    /// mostly tombstones, and no build is running. Runs in a write's turn (or at activation) after
    /// the write is applied, so the copy holds every write before the backlog starts.
    /// </summary>
    private void StartGraphBuildIfDue()
    {
        if (graphBacklog is not null || !indexSettings.WantsGraph(index.ImageCount))
        {
            return;
        }

        var rebuild = graph is not null;
        if (rebuild && graph!.TombstoneCount <= indexSettings.RebuildTombstoneFraction * Math.Max(1, graph.ImageCount))
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
            frozen = index.Clone(index.Storage);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            LogGraphBuildFailed(e, catalogName, shardNumber);
            return;
        }

        var backlog = new HashSet<string>(StringComparer.Ordinal);
        var cancellation = new CancellationTokenSource();
        (graphBacklog, graphBuildCancellation) = (backlog, cancellation);
        var (dimension, metric) = (index.Dimension, index.Metric);
        var options = new HnswOptions(M: indexSettings.GraphM, EfConstruction: indexSettings.GraphEfConstruction, Vectors: GraphVectors);
        LogGraphBuildStarted(catalogName, shardNumber, frozen.ProductCount, index.ImageCount, rebuild, graph?.TombstoneCount ?? 0);
        var build = Task.Run(async () =>
        {
            using (frozen)
            {
                using var slot = await graphBuildSlots.EnterAsync(cancellation.Token);
                return BuildGraph(dimension, metric, options, frozen, cancellation.Token);
            }
        });
        _ = FinishGraphBuildAsync(build, backlog, cancellation, started);
    }

    // Off the grain's turn: touches only its arguments.
    private static HnswIndex BuildGraph(int dimension, DistanceMetric metric, HnswOptions options,
        FlatVectorIndex frozen, CancellationToken cancellationToken)
    {
        var built = new HnswIndex(dimension, metric, options);
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

    /// <summary>
    /// Awaited on the grain's scheduler, so each continuation runs between turns, never inside one:
    /// replaying the last of the backlog and swapping the graph in is one synchronous step.
    /// </summary>
    private async Task FinishGraphBuildAsync(Task<HnswIndex> build, HashSet<string> backlog,
        CancellationTokenSource cancellation, long started)
    {
        HnswIndex built;
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
            LogGraphBuildFailed(e, catalogName, shardNumber);
            EndBuild(backlog, cancellation);
            return;
        }

        var pending = backlog;
        var replayed = 0;
        try
        {
            while (ReferenceEquals(graphBacklog, pending) && pending.Count > SynchronousCatchUpLimit)
            {
                // A chunk is read here, in a turn, and applied on the thread pool; writes meanwhile add their ids again.
                var chunk = TakeFromBacklog(pending, CatchUpChunk);
                await Task.Run(() => chunk.ForEach(change => ApplyTo(built, change)), cancellation.Token);
                replayed += chunk.Count;
            }

            if (!ReferenceEquals(graphBacklog, pending))
            {
                return;
            }

            var rest = TakeFromBacklog(pending, int.MaxValue);
            rest.ForEach(change => ApplyTo(built, change));
            replayed += rest.Count;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            LogGraphBuildFailed(e, catalogName, shardNumber);
            EndBuild(pending, cancellation);
            return;
        }

        graph = built;
        graphPersisted = false;
        graphsBuilt++;
        EndBuild(pending, cancellation);
        LogGraphBuilt(catalogName, shardNumber, built.ImageCount, replayed, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Removes up to <paramref name="max"/> ids from the backlog and reads each product as the exact index holds it
    /// now: its vectors to upsert, or none when it was deleted. Runs in a turn.
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

            changes.Add(index.TryCopyVectors(productId, out var vectors)
                ? new GraphChange(productId, products[productId].Category, vectors)
                : new GraphChange(productId, null, null));
        }

        foreach (var change in changes)
        {
            backlog.Remove(change.ProductId);
        }

        return changes;
    }

    private static void ApplyTo(HnswIndex target, GraphChange change)
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
        if (ReferenceEquals(graphBacklog, backlog))
        {
            (graphBacklog, graphBuildCancellation) = (null, null);
        }

        cancellation.Dispose();
    }

    private void CancelGraphBuild()
    {
        graphBuildCancellation?.Cancel();
        (graphBacklog, graphBuildCancellation) = (null, null);
    }

    /// <summary>
    /// The graph's saved form for the snapshot being frozen in this turn, positioned at its start, or null without
    /// a graph. Serialised under the turn because later writes change the graph; with mapped vectors, into a scratch
    /// file beside them (deleted when closed) rather than onto the heap.
    /// </summary>
    private Stream? SaveGraphForSnapshot()
    {
        if (graph is null)
        {
            return null;
        }

        Stream stream = index.Storage.Folder is { } folder ? ScratchFile(folder) : new MemoryStream();
        try
        {
            graph.Save(stream);
            stream.Position = 0;
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        graphPersisted = true;
        graphsPersisted++;
        return stream;
    }

    private static FileStream ScratchFile(string folder)
    {
        Directory.CreateDirectory(folder);
        return new FileStream(Path.Combine(folder, $"graph-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16, FileOptions.DeleteOnClose);
    }

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
