using System.Text.Json;
using Orleans.Concurrency;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Keeps one catalog's definition in <c>catalogs/{name}/catalog.json</c>. The definition is loaded once
/// per activation and served from memory; only its replica count and its declared fields (added, never removed)
/// change after creation, through this grain, which then tells every shard's writer.
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
        int dimension;
        if (spec.Model == CatalogDefinition.VectorsOnlyModel)
        {
            if (spec.Dimension is not (>= 1 and <= CatalogDefinition.MaxDimension))
            {
                return new CreateCatalogResult(CreateCatalogStatus.UnknownModel, _definition,
                    $"A vectors-only catalog (model '{CatalogDefinition.VectorsOnlyModel}') needs a dimension between 1 and {CatalogDefinition.MaxDimension}; got {spec.Dimension?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.");
            }

            dimension = spec.Dimension.Value;
        }
        else if (!models.TryGetDimension(spec.Model, out dimension))
        {
            return new CreateCatalogResult(CreateCatalogStatus.UnknownModel, _definition,
                $"Model '{spec.Model}' is not served by this cluster; known models: {string.Join(", ", models.Names)}, or '{CatalogDefinition.VectorsOnlyModel}' for vectors only.");
        }
        else if (spec.Dimension is { } asked && asked != dimension)
        {
            return new CreateCatalogResult(CreateCatalogStatus.UnknownModel, _definition,
                $"Model '{spec.Model}' makes {dimension}-float vectors; the request asks for dimension {asked}.");
        }

        if (!DistanceMetrics.TryParse(spec.Metric, out var metric))
        {
            throw new ArgumentException($"Metric '{spec.Metric}' is not one of cosine, dot, l2, l1.");
        }

        var replicas = spec.Replicas ?? _definition?.Replicas ?? 1;
        var requested = new CatalogDefinition(Name, spec.Model, DistanceMetrics.ToWireName(metric), dimension, spec.Shards, replicas,
            spec.Fields is { Count: > 0 } fields ? new Dictionary<string, string>(fields, StringComparer.Ordinal) : null, spec.Localise);
        if (_definition is not null)
        {
            if (!_definition.SameLayout(requested))
            {
                return new CreateCatalogResult(CreateCatalogStatus.Conflict, _definition,
                    $"Catalog '{Name}' already exists as model={_definition.Model}, metric={_definition.Metric}, dimension={_definition.Dimension}, shards={_definition.Shards}, localise={_definition.Localise ?? "none"}; only replicas and fields may change.");
            }

            var fieldsResult = await AddFieldsAsync(requested.Fields, cancellationToken);
            if (fieldsResult.Status == CreateCatalogStatus.Conflict || replicas == _definition.Replicas)
            {
                return fieldsResult;
            }

            await SaveAsync(_definition with { Replicas = replicas }, cancellationToken);
            // Each writer places or retires its replicas; one on a dead silo picks the count up when it reactivates.
            await Task.WhenAll(Enumerable.Range(0, requested.Shards).Select(async shard =>
            {
                try
                {
                    await GrainFactory.GetGrain<ICatalogShardGrain>(ShardKeys.For(Name, shard)).SetReplicasAsync(replicas, cancellationToken)
                        .WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                }
                catch (Exception exception) when (exception is TimeoutException or OrleansException)
                {
                    // Its next placement check reads the count from this grain.
                }
            }));
            return new CreateCatalogResult(CreateCatalogStatus.ReplicasChanged, _definition, null);
        }

        await SaveAsync(requested, cancellationToken);
        return new CreateCatalogResult(CreateCatalogStatus.Created, _definition, null);
    }

    /// <summary>
    /// Declares the fields of <paramref name="requested"/> that are new: saved with the definition first (a shard that
    /// activates from then on reads them), then indexed by every shard before the caller is answered, so a gateway
    /// that sees the new definition finds them indexed.
    /// </summary>
    private async Task<CreateCatalogResult> AddFieldsAsync(Dictionary<string, string>? requested, CancellationToken cancellationToken)
    {
        var current = _definition!;
        var merged = new Dictionary<string, string>(current.Fields ?? [], StringComparer.Ordinal);
        foreach (var (name, type) in requested ?? [])
        {
            if (merged.TryGetValue(name, out var declared))
            {
                if (declared != type)
                {
                    return new CreateCatalogResult(CreateCatalogStatus.Conflict, current,
                        $"Field '{name}' of catalog '{Name}' is declared {declared}; a declared field's type cannot change.");
                }

                continue;
            }

            merged[name] = type;
        }

        if (merged.Count == (current.Fields?.Count ?? 0))
        {
            return new CreateCatalogResult(CreateCatalogStatus.AlreadyExists, current, null);
        }

        await SaveAsync(current with { Fields = merged }, cancellationToken);
        await Task.WhenAll(Enumerable.Range(0, current.Shards).Select(shard =>
            GrainFactory.GetGrain<ICatalogShardGrain>(ShardKeys.For(Name, shard)).DeclareFieldsAsync(merged, cancellationToken)));
        return new CreateCatalogResult(CreateCatalogStatus.FieldsAdded, _definition, null);
    }

    private async Task SaveAsync(CatalogDefinition definition, CancellationToken cancellationToken)
    {
        var definitionJson = JsonSerializer.SerializeToUtf8Bytes(definition);
        await store.WriteAsync(CatalogPaths.Definition(Name), definitionJson, cancellationToken);
        await store.WriteAsync(CatalogPaths.IndexEntry(Name), definitionJson, cancellationToken);
        _definition = definition;
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
