using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Cluster;

/// <summary>
/// Answers from Orleans' management grain (membership and every silo's activations), the membership
/// snapshot and the silo metadata cache, which only silos have: a gateway in client mode asks through
/// this grain. A stateless worker, so the answer comes from whichever silo the caller reaches, with no
/// single activation to become a hot spot.
/// </summary>
[StatelessWorker]
public sealed class ClusterInfoGrain(
    ISiloMetadataCache metadata,
    IClusterMembershipService membership,
    IOptions<ExtractorPlacementOptions> extractorPlacement) : Grain, IClusterInfoGrain
{
    private static readonly string ExtractorClass = typeof(ExtractorGrain).FullName!;

    /// <summary>How long one silo's answer is awaited before it counts as not answering.</summary>
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public Task<SiloAddress[]> GetExtractionSilosAsync(CancellationToken cancellationToken = default)
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(member => member.Status == SiloStatus.Active).Select(member => member.SiloAddress);
        return Task.FromResult<SiloAddress[]>(
            [.. ExtractionSilos.Choose(active, metadata.IsGpu, extractorPlacement.Value.RequireGpu).OrderBy(silo => silo.ToString(), StringComparer.Ordinal)]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SiloView>> GetSilosAsync(CancellationToken cancellationToken = default)
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetHosts(onlyActive: false).WaitAsync(cancellationToken);
        var active = hosts.Where(host => host.Value == SiloStatus.Active).Select(host => host.Key).ToArray();
        var shardType = GrainFactory.GetGrain<ICatalogShardGrain>(ShardKeys.For("any", 0)).GetGrainId().Type;
        var replicaType = GrainFactory.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica("any", 0, 1)).GetGrainId().Type;
        // Asked silo by silo, each bounded by AnswerLimit: a silo killed a moment ago is still Active until membership
        // declares it dead, and one question to all silos would fail (or wait) with it. Such a silo is listed with no
        // shards and null counters. Activations are matched by grain type id rather than by the class-name filter,
        // whose spelling Orleans does not document; stateless workers are only counted per silo and class.
        var perSilo = await Task.WhenAll(active.Select(async silo => (
            Silo: silo,
            Activations: await AnswerOrNullAsync(() => management.GetDetailedGrainStatistics(null, [silo]), cancellationToken) ?? [],
            Counts: await AnswerOrNullAsync(() => management.GetSimpleGrainStatistics([silo]), cancellationToken) ?? [])));

        var shards = perSilo.SelectMany(entry => entry.Activations).Where(a => a.GrainId.Type == shardType)
            .ToLookup(a => a.SiloAddress, a => a.GrainId.Key.ToString()!);
        var replicas = perSilo.SelectMany(entry => entry.Activations).Where(a => a.GrainId.Type == replicaType)
            .ToLookup(a => a.SiloAddress, a => a.GrainId.Key.ToString()!);
        var replicaBytes = (await Task.WhenAll(replicas.SelectMany(silo => silo).Select(async key =>
            (key, footprint: await AnswerOrNullAsync(() => GrainFactory.GetGrain<ICatalogShardReplicaGrain>(key).GetFootprintAsync(cancellationToken), cancellationToken)))))
            .ToDictionary(entry => entry.key, entry => entry.footprint?.Bytes ?? 0);
        var extractors = perSilo.SelectMany(entry => entry.Counts).Where(count => count.GrainType.Contains(ExtractorClass, StringComparison.Ordinal))
            .ToLookup(count => count.SiloAddress, count => count.ActivationCount);
        var footprints = (await Task.WhenAll(shards.SelectMany(silo => silo).Select(async key =>
            (key, footprint: await AnswerOrNullAsync(() => GrainFactory.GetGrain<ICatalogShardGrain>(key).GetFootprintAsync(cancellationToken), cancellationToken)))))
            .ToDictionary(entry => entry.key, entry => entry.footprint);
        var stats = (await Task.WhenAll(active.Select(StatsOfAsync))).Where(entry => entry is not null).ToDictionary(entry => entry!.Address);

        return [.. hosts.OrderBy(host => host.Key.ToString(), StringComparer.Ordinal).Select(host => new SiloView(
            host.Key.Endpoint.ToString(),
            metadata.IsGpu(host.Key),
            host.Value.ToString(),
            [.. shards[host.Key].Order(StringComparer.Ordinal)],
            shards[host.Key].Sum(key => (long)(footprints.GetValueOrDefault(key)?.Images ?? 0)),
            extractors[host.Key].Sum(),
            shards[host.Key].Sum(key => footprints.GetValueOrDefault(key)?.Bytes ?? 0),
            stats.GetValueOrDefault(host.Key.Endpoint.ToString()),
            [.. replicas[host.Key].Order(StringComparer.Ordinal)],
            replicas[host.Key].Sum(key => replicaBytes.GetValueOrDefault(key))))];

        async Task<SiloStats?> StatsOfAsync(SiloAddress silo)
        {
            var answer = await AnswerOrNullAsync(
                () => SiloKeys.CallOnAsync(silo, () => GrainFactory.GetGrain<ISiloStatsGrain>(SiloKeys.For(silo)).GetAsync(cancellationToken)), cancellationToken);
            // A silo that died since the hosts were listed is answered for by another; keep only true answers.
            return answer?.Address == silo.Endpoint.ToString() ? answer : null;
        }
    }

    /// <summary>The answer, or null when its silo is gone, refuses, or does not answer within <see cref="AnswerLimit"/>.</summary>
    private static async Task<T?> AnswerOrNullAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await call().WaitAsync(AnswerLimit, cancellationToken);
        }
        catch (Exception exception) when (exception is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
        {
            return null;
        }
    }
}
