using Orleans.Concurrency;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Lists the cluster's catalogs by name, a page at a time. A stateless worker (key 0): the list
/// lives in storage, one small blob per catalog, written when the catalog is created.
/// </summary>
public interface ICatalogIndexGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Up to <paramref name="limit"/> catalogs whose names sort (ordinally) after
    /// <paramref name="after"/> (from the first when null), in name order.
    /// </summary>
    [ReadOnly]
    Task<CatalogPage> ListAsync(string? after, int limit, CancellationToken cancellationToken = default);
}

/// <summary>A page of catalogs; <see cref="Next"/> is the <c>after</c> of the next page, or null on the last.</summary>
[GenerateSerializer, Immutable]
public sealed record CatalogPage(
    [property: Id(0)] CatalogDefinition[] Catalogs,
    [property: Id(1)] string? Next);
