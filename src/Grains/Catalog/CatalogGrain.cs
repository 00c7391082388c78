using System.Text.Json;
using Orleans.Concurrency;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Keeps one catalog's definition in <c>catalogs/{name}/catalog.json</c>. The definition never
/// changes after creation, so it is loaded once per activation and served from memory.
/// </summary>
public sealed class CatalogGrain(IBlobStore store, ModelCatalog models) : Grain, ICatalogGrain
{
    private CatalogDefinition? _definition;

    private string Name => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var json = await store.ReadAsync(CatalogPaths.Definition(Name), cancellationToken);
        _definition = json is null ? null : JsonSerializer.Deserialize<CatalogDefinition>(json);

        // Catalogs created before the index existed (or whose create stopped between the two
        // writes) join it the first time they are used.
        if (json is not null && await store.ReadAsync(CatalogPaths.IndexEntry(Name), cancellationToken) is null)
        {
            await store.WriteAsync(CatalogPaths.IndexEntry(Name), json, cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task<CatalogDefinition?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(_definition);

    /// <inheritdoc />
    public async Task<CreateCatalogResult> CreateAsync(CatalogSpec spec, CancellationToken cancellationToken = default)
    {
        if (!models.TryGetDimension(spec.Model, out var dimension))
        {
            return new CreateCatalogResult(CreateCatalogStatus.UnknownModel, _definition,
                $"Model '{spec.Model}' is not served by this cluster; known models: {string.Join(", ", models.Names)}.");
        }

        if (!DistanceMetrics.TryParse(spec.Metric, out var metric))
        {
            throw new ArgumentException($"Metric '{spec.Metric}' is not one of cosine, dot, l2, l1.");
        }

        var requested = new CatalogDefinition(Name, spec.Model, DistanceMetrics.ToWireName(metric), dimension, spec.Shards, spec.Localise);
        if (_definition is not null)
        {
            return _definition == requested
                ? new CreateCatalogResult(CreateCatalogStatus.AlreadyExists, _definition, null)
                : new CreateCatalogResult(CreateCatalogStatus.Conflict, _definition,
                    $"Catalog '{Name}' already exists as model={_definition.Model}, metric={_definition.Metric}, shards={_definition.Shards}, localise={_definition.Localise ?? "none"}.");
        }

        var definitionJson = JsonSerializer.SerializeToUtf8Bytes(requested);
        await store.WriteAsync(CatalogPaths.Definition(Name), definitionJson, cancellationToken);
        await store.WriteAsync(CatalogPaths.IndexEntry(Name), definitionJson, cancellationToken);
        _definition = requested;
        return new CreateCatalogResult(CreateCatalogStatus.Created, _definition, null);
    }

    /// <inheritdoc />
    [ReadOnly]
    public async Task<CatalogCounts> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        if (_definition is null)
        {
            return new CatalogCounts(0, 0);
        }

        var counts = await Task.WhenAll(Enumerable.Range(0, _definition.Shards).Select(shard =>
            GrainFactory.GetGrain<ICatalogShardGrain>(ShardKeys.For(Name, shard)).GetCountsAsync(cancellationToken)));
        return new CatalogCounts(counts.Sum(c => (long)c.Products), counts.Sum(c => (long)c.Images));
    }
}

/// <summary>Where a catalog's blobs live in the store.</summary>
public static class CatalogPaths
{
    public static string Definition(string catalog) => $"catalogs/{catalog}/catalog.json";

    /// <summary>Prefix of the catalog index: one copy of each definition, listed in name order.</summary>
    public const string IndexPrefix = "catalog-index/";

    /// <summary>
    /// A catalog's entry in the index. No extension: with one, the store's ordinal listing would put
    /// <c>a-b.json</c> before <c>a.json</c> ('-' sorts before '.'), and pages would not be in name order.
    /// </summary>
    public static string IndexEntry(string catalog) => $"{IndexPrefix}{catalog}";

    /// <summary>The catalog an index path names, or null for anything else under the prefix.</summary>
    public static string? NameFromIndexEntry(string path) =>
        path.StartsWith(IndexPrefix, StringComparison.Ordinal) && path.Length > IndexPrefix.Length && path.IndexOf('/', IndexPrefix.Length) < 0
            ? path[IndexPrefix.Length..]
            : null;

    /// <summary>Folder of a shard's snapshot and log generations (see <see cref="OutfitFinder.Core.Shards.Files.ShardStore"/>).</summary>
    public static string ShardFolder(string catalog, int shard) => $"catalogs/{catalog}/shards/{shard}";
}
