using System.Text.Json;
using Orleans.Concurrency;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Reads the catalog index: <c>catalog-index/{name}</c>, a copy of each definition. The index
/// is a prefix of its own rather than a listing of <c>catalogs/</c>, which also holds every shard's
/// snapshot and log files and would be walked whole to find a page of names.
/// </summary>
[StatelessWorker]
public sealed class CatalogIndexGrain(IBlobStore store) : Grain, ICatalogIndexGrain
{
    /// <inheritdoc />
    public async Task<CatalogPage> ListAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var page = new List<CatalogDefinition>(limit);
        var more = false;
        await foreach (var path in store.ListAsync(CatalogPaths.IndexPrefix, cancellationToken))
        {
            var name = CatalogPaths.NameFromIndexEntry(path);
            if (name is null || (after is not null && string.CompareOrdinal(name, after) <= 0))
            {
                continue;
            }

            if (page.Count == limit)
            {
                more = true;
                break;
            }

            var json = await store.ReadAsync(path, cancellationToken);
            if (json is not null)
            {
                page.Add(JsonSerializer.Deserialize<CatalogDefinition>(json)!);
            }
        }

        return new CatalogPage([.. page], more ? page[^1].Name : null);
    }
}
