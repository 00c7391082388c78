using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Placement;
using Orleans.Runtime.Placement;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Hosts one partition of a catalog: a <see cref="CatalogShard"/> (products, indexes, log, snapshot,
/// compaction, graph builds) opened on activation from the shard's folder and closed on deactivation.
/// The grain maps its messages to the shard's types and back, nothing more.
/// </summary>
/// <remarks>
/// The shard's threading contract (a write runs alone; reads may run together) is what Orleans turns give:
/// writes are ordinary requests, reads are <see cref="ReadOnlyAttribute"/> and interleave with each other only.
/// </remarks>
[ShardPlacementFilter]
public sealed class CatalogShardGrain(
    IBlobStore store,
    IOptions<ShardCompactionOptions> compactionOptions,
    IOptions<ShardIndexOptions> indexOptions,
    GraphBuildSlots graphBuildSlots,
    ILocalSiloDetails localSilo,
    ILogger<CatalogShard> logger) : Grain, ICatalogShardGrain
{
    private CatalogShard _shard = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, number) = ShardKeys.Parse(this.GetPrimaryKeyString());
        var definition = await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{catalog}' does not exist.");
        if (!DistanceMetrics.TryParse(definition.Metric, out var metric))
        {
            throw new InvalidOperationException($"Catalog '{catalog}' has unknown metric '{definition.Metric}'.");
        }

        var shardDefinition = new ShardDefinition(catalog, number, definition.Dimension, metric, CatalogPaths.ShardFolder(catalog, number),
            ToFieldTypes(definition.Fields));
        _shard = await CatalogShard.OpenAsync(store, shardDefinition, indexOptions.Value, compactionOptions.Value, graphBuildSlots,
            logger, cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Null when activation failed before the shard opened (OpenAsync closes what it opened).
        if (_shard is not null)
        {
            await _shard.CloseAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<UpsertStatus> UpsertAsync(ProductUpsert product, CancellationToken cancellationToken = default) =>
        await _shard.UpsertAsync(ToShard(product), cancellationToken) ? UpsertStatus.Created : UpsertStatus.Replaced;

    /// <inheritdoc />
    public Task<int> UpsertBatchAsync(ProductUpsert[] batch, CancellationToken cancellationToken = default) =>
        _shard.UpsertBatchAsync([.. batch.Select(ToShard)], cancellationToken);

    /// <inheritdoc />
    public Task DeclareFieldsAsync(Dictionary<string, string> fields, CancellationToken cancellationToken = default) =>
        _shard.DeclareFieldsAsync(ToFieldTypes(fields) ?? new Dictionary<string, FieldType>(), cancellationToken);

    /// <summary>The wire names of declared fields as the shard's types; a name the gateway let through is known.</summary>
    private static Dictionary<string, FieldType>? ToFieldTypes(Dictionary<string, string>? fields) =>
        fields?.ToDictionary(pair => pair.Key,
            pair => FieldTypes.TryParse(pair.Value, out var type) ? type : throw new InvalidOperationException($"Field '{pair.Key}' has unknown type '{pair.Value}'."),
            StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default) =>
        _shard.DeleteAsync(productId, cancellationToken);

    /// <inheritdoc />
    [ReadOnly]
    public Task<ProductView?> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_shard.Get(productId) is { } product
            ? new ProductView(product.ProductId, product.Category, product.MetadataJson, product.ImageCount)
            : null);

    /// <inheritdoc />
    [ReadOnly]
    public async Task<IReadOnlyList<ShardHit>> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        var hits = await _shard.SearchAsync(new ShardSearch(query.Vector, query.K, query.Category, query.Ef, query.FilterJson), cancellationToken);
        return [.. hits.Select(hit => new ShardHit(hit.ProductId, hit.Score, hit.ImageIndex, hit.Category, hit.MetadataJson))];
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardCounts> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        var size = _shard.Size;
        return Task.FromResult(new ShardCounts(size.Products, size.Images));
    }

    /// <inheritdoc />
    public Task MoveToAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        if (!silo.Equals(localSilo.SiloAddress))
        {
            // Migration re-places the grain under the placement hint found in the request context; a hint
            // naming a silo the placement filter rejects is ignored and the shard lands where placement says.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardFootprint> GetFootprintAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardFootprint(_shard.Size.Images, _shard.MemoryBytes));

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardIndexStats> GetIndexStatsAsync(CancellationToken cancellationToken = default)
    {
        var state = _shard.IndexState;
        return Task.FromResult(new ShardIndexStats(state.Answering, state.GraphBuilding, state.GraphRows, state.GraphTombstones,
            state.GraphsBuilt, state.GraphsLoaded, state.GraphsPersisted));
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<IReadOnlyList<ProductVectorSample>> SampleVectorsAsync(int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ProductVectorSample>>(
            [.. _shard.SampleVectors(max).Select(sample => new ProductVectorSample(sample.ProductId, sample.Category, PackedVectors.Pack(sample.Vector)))]);

    private static ShardUpsert ToShard(ProductUpsert product) =>
        new(product.ProductId, product.Category, product.MetadataJson, product.ImageCount, PackedVectors.Unpack(product.Vectors));
}
