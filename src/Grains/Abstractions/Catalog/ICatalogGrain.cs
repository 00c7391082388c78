using Orleans.Concurrency;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Holds one catalog's small, immutable description. Keyed by catalog name. The description is
/// written once, durably, before a create is acknowledged.
/// </summary>
public interface ICatalogGrain : IGrainWithStringKey
{
    /// <summary>The catalog's definition, or null when no such catalog exists.</summary>
    /// <remarks>
    /// Interleaves with every other call: shards ask for the definition while they activate, which
    /// happens inside this grain's own <see cref="GetCountsAsync"/>; without interleaving the two
    /// would wait on each other until the call timed out.
    /// </remarks>
    [AlwaysInterleave]
    Task<CatalogDefinition?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the catalog if it does not exist. Idempotent for an identical spec; a different
    /// spec for an existing catalog is a conflict and changes nothing.
    /// </summary>
    Task<CreateCatalogResult> CreateAsync(CatalogSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Products and images held, summed over every shard (asked in parallel).</summary>
    Task<CatalogCounts> GetCountsAsync(CancellationToken cancellationToken = default);
}
