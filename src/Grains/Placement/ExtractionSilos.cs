using Orleans.Runtime.MembershipService.SiloMetadata;

namespace OutfitFinder.Grains.Placement;

/// <summary>
/// The one rule for where extraction runs, shared by the placement filter (which silos may host an
/// extractor activation) and the extractor router (which silos callers spread their calls over).
/// </summary>
public static class ExtractionSilos
{
    /// <summary>
    /// The GPU silos among <paramref name="candidates"/> when there are any; otherwise every candidate,
    /// or none when <paramref name="requireGpu"/> (then a call fails instead of running on a CPU).
    /// </summary>
    public static IReadOnlyList<SiloAddress> Choose(IEnumerable<SiloAddress> candidates, Func<SiloAddress, bool> isGpu, bool requireGpu)
    {
        var all = candidates as IReadOnlyCollection<SiloAddress> ?? [.. candidates];
        List<SiloAddress> gpu = [.. all.Where(isGpu)];
        if (gpu.Count > 0)
        {
            return gpu;
        }

        return requireGpu ? [] : [.. all];
    }

    /// <summary>Whether <paramref name="silo"/>'s metadata says <c>gpu=true</c>.</summary>
    public static bool IsGpu(this ISiloMetadataCache metadata, SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloMetadataKeys.Gpu, out var value)
        && bool.TryParse(value, out var gpu) && gpu;
}
