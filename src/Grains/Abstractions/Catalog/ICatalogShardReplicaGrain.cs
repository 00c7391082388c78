using Orleans.Concurrency;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// A read replica of one catalog shard, keyed <c>catalog/shard/replica</c> (<see cref="ShardKeys.ForReplica"/>,
/// replica 1 or more). It loads the shard's snapshot from storage and follows its log there, so it answers searches
/// while the shard's writer is on a dead silo; it takes no writes.
/// </summary>
public interface ICatalogShardReplicaGrain : IGrainWithStringKey
{
    /// <summary>The replica's top-k for the query, as the writer would answer it, with how far behind it may be.</summary>
    Task<ShardReplicaAnswer> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sent by the writer after each durable append: read the log now rather than at the next poll. One-way, so a
    /// write never waits for its replicas.
    /// </summary>
    [OneWay]
    Task NotifyAppendedAsync();

    /// <summary>The silo the replica runs on (activating it where placement puts it, when it is not running).</summary>
    Task<SiloAddress> GetSiloAsync(CancellationToken cancellationToken = default);

    /// <summary>Moves the replica to <paramref name="silo"/> when it is idle (see <see cref="ICatalogShardGrain.MoveToAsync"/>).</summary>
    Task MoveToAsync(SiloAddress silo, CancellationToken cancellationToken = default);

    /// <summary>Deactivates the replica once idle: the catalog asked for fewer replicas.</summary>
    Task RetireAsync(CancellationToken cancellationToken = default);

    /// <summary>How many images the replica holds and its index memory, in bytes.</summary>
    Task<ShardFootprint> GetFootprintAsync(CancellationToken cancellationToken = default);
}
