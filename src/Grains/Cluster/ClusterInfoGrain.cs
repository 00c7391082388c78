using Orleans.Concurrency;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Cluster;

/// <summary>
/// Answers from Orleans' management grain (membership and every silo's activations) and the
/// silo metadata cache, which only silos have: a gateway in client mode asks through this grain.
/// A stateless worker, so the answer comes from whichever silo the caller reaches, with no
/// single activation to become a hot spot.
/// </summary>
[StatelessWorker]
public sealed class ClusterInfoGrain(ISiloMetadataCache metadata) : Grain, IClusterInfoGrain
{
    private static readonly string ExtractorClass = typeof(ExtractorGrain).FullName!;

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
        var counts = await Task.WhenAll(shards.SelectMany(silo => silo).Select(async key =>
            (key, images: (await GrainFactory.GetGrain<ICatalogShardGrain>(key).GetCountsAsync(cancellationToken)).Images)));
        var images = counts.ToDictionary(count => count.key, count => (long)count.images);

        return [.. hosts.OrderBy(host => host.Key.ToString(), StringComparer.Ordinal).Select(host => new SiloView(
            host.Key.Endpoint.ToString(),
            IsGpu(host.Key),
            host.Value.ToString(),
            [.. shards[host.Key].Order(StringComparer.Ordinal)],
            shards[host.Key].Sum(key => images.GetValueOrDefault(key)),
            extractors[host.Key].Sum()))];
    }

    private bool IsGpu(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloMetadataKeys.Gpu, out var value) && bool.TryParse(value, out var gpu) && gpu;
}
