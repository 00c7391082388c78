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
        // Every activation of the live silos, matched by grain type id rather than by the class-name
        // filter, whose spelling Orleans does not document: an admin call, its cost grows with the
        // activations the cluster holds.
        var activations = active.Length == 0 ? [] : await management.GetDetailedGrainStatistics(null, active).WaitAsync(cancellationToken);
        var shardType = GrainFactory.GetGrain<ICatalogShardGrain>(ShardKeys.For("any", 0)).GetGrainId().Type;
        // Stateless workers are not listed one by one, only counted per silo and class.
        var extractorCounts = active.Length == 0 ? [] : await management.GetSimpleGrainStatistics(active).WaitAsync(cancellationToken);

        var shards = activations.Where(a => a.GrainId.Type == shardType).ToLookup(a => a.SiloAddress, a => a.GrainId.Key.ToString()!);
        var extractors = extractorCounts.Where(count => count.GrainType.Contains(ExtractorClass, StringComparison.Ordinal))
            .ToLookup(count => count.SiloAddress, count => count.ActivationCount);
        var footprints = (await Task.WhenAll(shards.SelectMany(silo => silo).Select(async key =>
            (key, footprint: await GrainFactory.GetGrain<ICatalogShardGrain>(key).GetFootprintAsync(cancellationToken)))))
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
            stats.GetValueOrDefault(host.Key.Endpoint.ToString())))];

        async Task<SiloStats?> StatsOfAsync(SiloAddress silo)
        {
            try
            {
                var answer = await SiloKeys.CallOnAsync(silo, () => GrainFactory.GetGrain<ISiloStatsGrain>(SiloKeys.For(silo)).GetAsync(cancellationToken))
                    .WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                // A silo that died since the hosts were listed is answered for by another; keep only true answers.
                return answer.Address == silo.Endpoint.ToString() ? answer : null;
            }
            catch (Exception exception) when (exception is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                return null;
            }
        }
    }
}
