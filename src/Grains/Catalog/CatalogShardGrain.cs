using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Cluster;
using OutfitFinder.Grains.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Hosts one partition of a catalog: a <see cref="CatalogShard"/> (products, indexes, log, snapshot,
/// compaction, graph builds) opened on activation from the shard's folder and closed on deactivation.
/// The grain maps its messages to the shard's types and back, and looks after the shard's read replicas
/// (<see cref="CatalogShardReplicaGrain"/>): it tells them after each durable append, and on a timer checks that the
/// catalog's count of them runs, each on a silo apart from the writer and the others (<see cref="ReplicaPlacement"/>).
/// </summary>
/// <remarks>
/// The shard's threading contract (a write runs alone; reads may run together) is what Orleans turns give:
/// writes are ordinary requests, reads are <see cref="ReadOnlyAttribute"/> and interleave with each other only.
/// </remarks>
[ShardPlacementFilter]
public sealed partial class CatalogShardGrain(
    IBlobStore store,
    IOptions<ShardCompactionOptions> compactionOptions,
    IOptions<ShardIndexOptions> indexOptions,
    IOptions<ShardReplicaOptions> replicaOptions,
    IOptions<ShardPlacementOptions> placementOptions,
    GraphBuildSlots graphBuildSlots,
    ILocalSiloDetails localSilo,
    IClusterMembershipService membership,
    ISiloMetadataCache siloMetadata,
    ILogger<CatalogShard> logger,
    ILogger<CatalogShardGrain> grainLogger) : Grain, ICatalogShardGrain
{
    /// <summary>How long the placement check waits for one replica's answer: a replica on a dead silo never answers.</summary>
    private static readonly TimeSpan ReplicaAnswerLimit = TimeSpan.FromSeconds(5);

    private CatalogShard _shard = null!;
    private string _catalog = "";
    private int _number;

    /// <summary>Copies of the shard the catalog asks for, the writer included.</summary>
    private int _replicas = 1;

    /// <summary>The highest replica count this activation placed, so that surplus replicas are retired when it drops.</summary>
    private int _placedReplicas = 1;

    private bool _checking;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, number) = ShardKeys.Parse(this.GetPrimaryKeyString());
        var definition = await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{catalog}' does not exist.");
        if (!DistanceMetrics.TryParse(definition.Metric, out var metric))
        {
            throw new InvalidOperationException($"Catalog '{catalog}' has unknown metric '{definition.Metric}'.");
        }

        var shardDefinition = new ShardDefinition(catalog, number, definition.Dimension, metric, CatalogPaths.ShardFolder(catalog, number),
            ToFieldTypes(definition.Fields));
        _shard = await CatalogShard.OpenAsync(store, shardDefinition, indexOptions.Value, compactionOptions.Value, graphBuildSlots,
            logger, cancellationToken);
        (_catalog, _number, _replicas) = (catalog, number, definition.Replicas);

        // Interleaved: the check only makes grain calls (which may wait seconds on a dead silo) and never touches the
        // shard, so writes and searches need not wait for it.
        this.RegisterGrainTimer(CheckReplicasAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), replicaOptions.Value.CheckInterval)
        {
            Interleave = true,
            KeepAlive = false,
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Null when activation failed before the shard opened (OpenAsync closes what it opened).
        if (_shard is not null)
        {
            await _shard.CloseAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<UpsertStatus> UpsertAsync(ProductUpsert product, CancellationToken cancellationToken = default)
    {
        var created = await _shard.UpsertAsync(ToShard(product), cancellationToken);
        NotifyReplicas();
        return created ? UpsertStatus.Created : UpsertStatus.Replaced;
    }

    /// <inheritdoc />
    public async Task<int> UpsertBatchAsync(ProductUpsert[] batch, CancellationToken cancellationToken = default)
    {
        var created = await _shard.UpsertBatchAsync([.. batch.Select(ToShard)], cancellationToken);
        NotifyReplicas();
        return created;
    }

    /// <inheritdoc />
    public Task DeclareFieldsAsync(Dictionary<string, string> fields, CancellationToken cancellationToken = default) =>
        _shard.DeclareFieldsAsync(ToFieldTypes(fields) ?? new Dictionary<string, FieldType>(), cancellationToken);

    /// <summary>The wire names of declared fields as the shard's types; a name the gateway let through is known.</summary>
    internal static Dictionary<string, FieldType>? ToFieldTypes(Dictionary<string, string>? fields) =>
        fields?.ToDictionary(pair => pair.Key,
            pair => FieldTypes.TryParse(pair.Value, out var type) ? type : throw new InvalidOperationException($"Field '{pair.Key}' has unknown type '{pair.Value}'."),
            StringComparer.Ordinal);

    public async Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default)
    {
        var deleted = await _shard.DeleteAsync(productId, cancellationToken);
        if (deleted)
        {
            NotifyReplicas();
        }

        return deleted;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ProductView?> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_shard.Get(productId) is { } product
            ? new ProductView(product.ProductId, product.Category, product.MetadataJson, product.ImageCount)
            : null);

    /// <inheritdoc />
    [ReadOnly]
    public async Task<IReadOnlyList<ShardHit>> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        var hits = await _shard.SearchAsync(new ShardSearch(query.Vector, query.K, query.Category, query.Ef, query.FilterJson), cancellationToken);
        return [.. hits.Select(hit => new ShardHit(hit.ProductId, hit.Score, hit.ImageIndex, hit.Category, hit.MetadataJson))];
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardCounts> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        var size = _shard.Size;
        return Task.FromResult(new ShardCounts(size.Products, size.Images));
    }

    /// <inheritdoc />
    public Task MoveToAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        if (!silo.Equals(localSilo.SiloAddress))
        {
            // Migration re-places the grain under the placement hint found in the request context; a hint
            // naming a silo the placement filter rejects is ignored and the shard lands where placement says.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardFootprint> GetFootprintAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardFootprint(_shard.Size.Images, _shard.MemoryBytes));

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardIndexStats> GetIndexStatsAsync(CancellationToken cancellationToken = default)
    {
        var state = _shard.IndexState;
        return Task.FromResult(new ShardIndexStats(state.Answering, state.GraphBuilding, state.GraphRows, state.GraphTombstones,
            state.GraphsBuilt, state.GraphsLoaded, state.GraphsPersisted));
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<IReadOnlyList<ProductVectorSample>> SampleVectorsAsync(int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ProductVectorSample>>(
            [.. _shard.SampleVectors(max).Select(sample => new ProductVectorSample(sample.ProductId, sample.Category, PackedVectors.Pack(sample.Vector)))]);

    /// <inheritdoc />
    public Task SetReplicasAsync(int replicas, CancellationToken cancellationToken = default)
    {
        _replicas = replicas;
        RetireSurplusReplicas();
        // Not awaited: placing a replica waits for it to load the shard, and the catalog's update need not.
        _ = CheckReplicasAsync(CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>One-way notices: each replica reads the log now instead of at its next poll.</summary>
    private void NotifyReplicas()
    {
        for (var replica = 1; replica < _replicas; replica++)
        {
            _ = GrainFactory.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica(_catalog, _number, replica)).NotifyAppendedAsync();
        }
    }

    private void RetireSurplusReplicas()
    {
        for (var replica = _replicas; replica < _placedReplicas; replica++)
        {
            _ = GrainFactory.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica(_catalog, _number, replica)).RetireAsync();
        }

        _placedReplicas = Math.Max(_replicas, 1);
    }

    /// <summary>
    /// Picks up a changed replica count, starts replicas that do not run (on the silo the plan names) and moves
    /// replicas that share a silo with another copy when a silo with fewer copies exists.
    /// </summary>
    private async Task CheckReplicasAsync(CancellationToken cancellationToken)
    {
        if (_checking)
        {
            return;
        }

        _checking = true;
        try
        {
            if (await AnswerOrNullAsync(GrainFactory.GetGrain<ICatalogGrain>(_catalog).GetAsync(cancellationToken)) is { } definition)
            {
                _replicas = definition.Replicas;
            }

            RetireSurplusReplicas();
            if (_replicas <= 1)
            {
                return;
            }

            var active = membership.CurrentSnapshot.Members.Values.Where(member => member.Status == SiloStatus.Active).Select(member => member.SiloAddress);
            var allowed = ShardSilos.Choose(active, siloMetadata.IsGpu, placementOptions.Value.AvoidGpuSilos)
                .OrderBy(silo => silo.ToString(), StringComparer.Ordinal).ToList();
            var byName = allowed.ToDictionary(silo => silo.ToString());
            var writer = localSilo.SiloAddress.ToString();
            var replicas = Enumerable.Range(1, _replicas - 1)
                .Select(replica => GrainFactory.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica(_catalog, _number, replica))).ToList();

            // First placement: a replica that is not running starts on the planned silo (the hint is ignored for one
            // that runs); then where each one really is decides the moves.
            var firstPlan = ReplicaPlacement.Plan([.. byName.Keys], writer, [.. replicas.Select(_ => (string?)null)], _number);
            var where = await Task.WhenAll(replicas.Select((replica, i) => AnswerOrNullAsync(firstPlan[i] is { } target
                ? SiloKeys.CallOnAsync(byName[target], () => replica.GetSiloAsync(cancellationToken))
                : replica.GetSiloAsync(cancellationToken))));
            var plan = ReplicaPlacement.Plan([.. byName.Keys], writer, [.. where.Select(silo => silo?.ToString())], _number);
            for (var i = 0; i < plan.Count; i++)
            {
                if (plan[i] is { } target && where[i] is not null)
                {
                    LogMovingReplica(grainLogger, _catalog, _number, i + 1, where[i]!.ToString(), target);
                    await TryAsync(replicas[i].MoveToAsync(byName[target], cancellationToken));
                }
            }
        }
        catch (Exception exception)
        {
            LogReplicaCheckFailed(grainLogger, exception, _catalog, _number);
        }
        finally
        {
            _checking = false;
        }
    }

    private static async Task<T?> AnswerOrNullAsync<T>(Task<T> call)
        where T : class?
    {
        try
        {
            return await call.WaitAsync(ReplicaAnswerLimit);
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return null;
        }
    }

    private static async Task TryAsync(Task call)
    {
        try
        {
            await call.WaitAsync(ReplicaAnswerLimit);
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // The next check tries again.
        }
    }

    [LoggerMessage(EventId = 1403, Level = LogLevel.Information,
        Message = "Moving read replica {Replica} of shard {Catalog}/{Shard} from {From} to {To}, away from the shard's other copies")]
    private static partial void LogMovingReplica(ILogger logger, string catalog, int shard, int replica, string from, string to);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning,
        Message = "Checking the read replicas of shard {Catalog}/{Shard} failed; the next check tries again")]
    private static partial void LogReplicaCheckFailed(ILogger logger, Exception exception, string catalog, int shard);

    private static ShardUpsert ToShard(ProductUpsert product) =>
        new(product.ProductId, product.Category, product.MetadataJson, product.ImageCount, PackedVectors.Unpack(product.Vectors));
}
