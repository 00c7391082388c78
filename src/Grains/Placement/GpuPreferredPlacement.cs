using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace OutfitFinder.Grains.Placement;

/// <summary>
/// Places a grain on silos whose metadata says <c>gpu=true</c> when any such silo is up, and on
/// any compatible silo otherwise (unless <see cref="ExtractorPlacementOptions.RequireGpu"/>).
/// Orleans' own metadata filters compare candidates with the <em>calling</em> silo's metadata,
/// which is the wrong question here: a CPU gateway must still send work to a GPU silo.
/// </summary>
[GenerateSerializer]
public sealed class GpuPreferredPlacementFilterStrategy : PlacementFilterStrategy
{
    public GpuPreferredPlacementFilterStrategy() : base(order: 0)
    {
    }
}

/// <summary>Marks a grain class for <see cref="GpuPreferredPlacementFilterStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuPreferredPlacementFilterAttribute()
    : PlacementFilterAttribute(new GpuPreferredPlacementFilterStrategy());

/// <summary>The silo metadata key every silo sets to <c>true</c> or <c>false</c>.</summary>
public static class SiloMetadataKeys
{
    public const string Gpu = "gpu";
}

/// <summary>Where extractor grains may run. Bound from <c>Extraction:Placement</c>.</summary>
public sealed class ExtractorPlacementOptions
{
    /// <summary>
    /// When true, extractors run only on GPU silos and calls fail while none is up, instead of
    /// falling back to CPU silos. Default: false.
    /// </summary>
    public bool RequireGpu { get; set; }
}

internal sealed class GpuPreferredPlacementFilterDirector(
    ISiloMetadataCache siloMetadata,
    IOptions<ExtractorPlacementOptions> options) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos) =>
        ExtractionSilos.Choose(silos, siloMetadata.IsGpu, options.Value.RequireGpu);
}
