using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace OutfitFinder.Grains.Placement;

/// <summary>Where catalog shards may run. Bound from <c>Cluster:Shards</c>.</summary>
public sealed class ShardPlacementOptions
{
    /// <summary>
    /// When true, shards stay off silos whose metadata says <c>gpu=true</c> while any CPU silo is up, so
    /// GPU machines spend their memory and cores on extraction and CPU silos serve the catalog. A cluster
    /// of GPU silos only still places its shards on them. Default: true.
    /// </summary>
    public bool AvoidGpuSilos { get; set; } = true;
}

/// <summary>
/// The one rule for where shards run, shared by the placement filter (where a shard activates) and the
/// balancer (where shards are moved to).
/// </summary>
public static class ShardSilos
{
    /// <summary>The CPU silos among <paramref name="candidates"/> when avoiding GPU silos and any is up; else every candidate.</summary>
    public static IReadOnlyList<SiloAddress> Choose(IEnumerable<SiloAddress> candidates, Func<SiloAddress, bool> isGpu, bool avoidGpuSilos)
    {
        var all = candidates as IReadOnlyCollection<SiloAddress> ?? [.. candidates];
        if (!avoidGpuSilos)
        {
            return [.. all];
        }

        List<SiloAddress> cpu = [.. all.Where(silo => !isGpu(silo))];
        return cpu.Count > 0 ? cpu : [.. all];
    }
}

/// <summary>Keeps shard grains on the silos <see cref="ShardSilos"/> chooses.</summary>
[GenerateSerializer]
public sealed class ShardPlacementFilterStrategy : PlacementFilterStrategy
{
    public ShardPlacementFilterStrategy() : base(order: 0)
    {
    }
}

/// <summary>Marks a grain class for <see cref="ShardPlacementFilterStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardPlacementFilterAttribute()
    : PlacementFilterAttribute(new ShardPlacementFilterStrategy());

internal sealed class ShardPlacementFilterDirector(ISiloMetadataCache siloMetadata, IOptions<ShardPlacementOptions> options) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
        ShardSilos.Choose(silos, siloMetadata.IsGpu, options.Value.AvoidGpuSilos);
}
