using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime.Placement;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Hosts a read replica of one shard: a follower <see cref="CatalogShard"/> opened from the shard's snapshot and log
/// in storage and kept current by reading the log there, on a timer and whenever the writer says it appended.
/// </summary>
/// <remarks>
/// <para>Why tail the log in storage rather than be fed by the writer: storage is where an acknowledged write
/// already is (the writer answers only after its durable append), it stays readable when the writer's silo is dead,
/// and a replica that missed a message needs no resend protocol: it reads from where it stopped. The writer's
/// one-way notice only cuts the lag to one storage read; losing it costs at most one poll interval.</para>
/// <para>The catch-up runs in the grain's turns (timer and notice are not interleaved), the searches are
/// <see cref="ReadOnlyAttribute"/>: the shard's threading contract, as in the writer's grain.</para>
/// </remarks>
[ShardPlacementFilter]
public sealed partial class CatalogShardReplicaGrain(
    IBlobStore store,
    IOptions<ShardIndexOptions> indexOptions,
    IOptions<ShardReplicaOptions> replicaOptions,
    GraphBuildSlots graphBuildSlots,
    ILocalSiloDetails localSilo,
    ILogger<CatalogShardReplicaGrain> logger,
    ILogger<CatalogShard> shardLogger) : Grain, ICatalogShardReplicaGrain
{
    private CatalogShard _shard = null!;
    private ShardDefinition _definition = null!;
    private IGrainTimer? _poll;
    private volatile bool _fieldsStale;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, number, _) = ShardKeys.ParseReplica(this.GetPrimaryKeyString());
        var definition = await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{catalog}' does not exist.");
        if (!DistanceMetrics.TryParse(definition.Metric, out var metric))
        {
            throw new InvalidOperationException($"Catalog '{catalog}' has unknown metric '{definition.Metric}'.");
        }

        _definition = new ShardDefinition(catalog, number, definition.Dimension, metric, CatalogPaths.ShardFolder(catalog, number),
            CatalogShardGrain.ToFieldTypes(definition.Fields));
        _shard = await CatalogShard.OpenFollowerAsync(store, _definition, indexOptions.Value, graphBuildSlots, shardLogger, cancellationToken);
        var interval = replicaOptions.Value.PollInterval;
        _poll = this.RegisterGrainTimer(CatchUpAsync, new GrainTimerCreationOptions(interval, interval) { Interleave = false, KeepAlive = false });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _poll?.Dispose();
        if (_shard is not null)
        {
            await _shard.CloseAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    [ReadOnly]
    public async Task<ShardReplicaAnswer> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        // Read before searching: the figure then covers the state the search saw.
        var lag = _shard.Lag;
        IReadOnlyList<ShardSearchHit> hits;
        try
        {
            hits = await _shard.SearchAsync(new ShardSearch(query.Vector, query.K, query.Category, query.Ef, query.FilterJson), cancellationToken);
        }
        catch (ArgumentException) when (query.FilterJson is not null)
        {
            // The gateway checked the filter against the catalog's fields, so this replica missed a field declared since
            // it opened: its next catch-up turn reads the fields again; the gateway asks another copy meanwhile.
            _fieldsStale = true;
            throw;
        }

        return new ShardReplicaAnswer([.. hits.Select(hit => new ShardHit(hit.ProductId, hit.Score, hit.ImageIndex, hit.Category, hit.MetadataJson))],
            lag.TotalMilliseconds);
    }

    /// <inheritdoc />
    public Task NotifyAppendedAsync() => CatchUpAsync(CancellationToken.None);

    /// <inheritdoc />
    [ReadOnly]
    public Task<SiloAddress> GetSiloAsync(CancellationToken cancellationToken = default) => Task.FromResult(localSilo.SiloAddress);

    /// <inheritdoc />
    public Task MoveToAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        if (!silo.Equals(localSilo.SiloAddress))
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RetireAsync(CancellationToken cancellationToken = default)
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardFootprint> GetFootprintAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardFootprint(_shard.Size.Images, _shard.MemoryBytes));

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_fieldsStale)
            {
                _fieldsStale = false;
                var definition = await GrainFactory.GetGrain<ICatalogGrain>(_definition.Catalog).GetAsync(cancellationToken);
                if (CatalogShardGrain.ToFieldTypes(definition?.Fields) is { } fields)
                {
                    await _shard.DeclareFieldsAsync(fields, cancellationToken);
                }
            }

            await _shard.CatchUpAsync(cancellationToken);
        }
        catch (ShardFollowLostException exception)
        {
            // The writer compacted away records this replica had not read: load the shard again from the new snapshot.
            // Inside this turn, so searches wait for the new copy rather than see a half-loaded one; the old one is closed after.
            LogReloading(logger, exception, _definition.Catalog, _definition.Shard);
            var fresh = await CatalogShard.OpenFollowerAsync(store, _definition, indexOptions.Value, graphBuildSlots, shardLogger, cancellationToken);
            var old = _shard;
            _shard = fresh;
            await old.CloseAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not ObjectDisposedException)
        {
            // Storage unreachable for a moment: the next poll retries, and the lag figure grows meanwhile.
            LogCatchUpFailed(logger, exception, _definition.Catalog, _definition.Shard);
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning,
        Message = "Read replica of shard {Catalog}/{Shard} lost its place in the log to a compaction; loading the shard again")]
    private static partial void LogReloading(ILogger logger, Exception exception, string catalog, int shard);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning,
        Message = "Read replica of shard {Catalog}/{Shard} could not read the shard's log; the next poll tries again")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception, string catalog, int shard);
}
