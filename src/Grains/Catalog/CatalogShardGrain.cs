using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;
using LogDelete = OutfitFinder.Core.Storage.ProductDeleted;
using LogUpsert = OutfitFinder.Core.Storage.ProductUpserted;

namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// One partition of a catalog: an exact vector index plus each product's category and metadata,
/// rebuilt on activation by replaying the shard's append-only log. A write is appended to the log
/// (durably) before the in-memory state changes and before the caller is answered, so an
/// acknowledged write survives the silo.
/// </summary>
public sealed partial class CatalogShardGrain(IBlobStore store, ILogger<CatalogShardGrain> logger) : Grain, ICatalogShardGrain
{
    private readonly Dictionary<string, ProductView> products = new(StringComparer.Ordinal);
    private FlatVectorIndex index = null!;
    private ShardLog log = null!;
    private CatalogDefinition definition = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, shard) = ShardKeys.Parse(this.GetPrimaryKeyString());
        definition = await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{catalog}' does not exist.");
        if (!DistanceMetrics.TryParse(definition.Metric, out var metric))
        {
            throw new InvalidOperationException($"Catalog '{catalog}' has unknown metric '{definition.Metric}'.");
        }

        index = new FlatVectorIndex(definition.Dimension, metric);
        log = new ShardLog(store, CatalogPaths.ShardLog(catalog, shard), logger);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var replay = await log.LoadAsync(cancellationToken);
        foreach (var record in replay.Records)
        {
            Apply(record);
        }

        LogShardLoaded(catalog, shard, products.Count, index.ImageCount, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <inheritdoc />
    public async Task<UpsertStatus> UpsertAsync(ProductUpsert product, CancellationToken cancellationToken = default)
    {
        var record = ToRecord(product);
        var existed = products.ContainsKey(product.ProductId);
        await log.AppendAsync(record, cancellationToken);
        Apply(record);
        return existed ? UpsertStatus.Replaced : UpsertStatus.Created;
    }

    /// <inheritdoc />
    public async Task<int> UpsertBatchAsync(ProductUpsert[] batch, CancellationToken cancellationToken = default)
    {
        // Validate everything before writing anything, so a bad item cannot half-apply a batch.
        var records = batch.Select(ToRecord).ToList();
        await log.AppendBatchAsync(records, cancellationToken);
        var created = 0;
        foreach (var record in records)
        {
            created += products.ContainsKey(record.ProductId) ? 0 : 1;
            Apply(record);
        }

        return created;
    }

    private LogUpsert ToRecord(ProductUpsert product)
    {
        var vectors = PackedVectors.Unpack(product.Vectors);
        if (product.ImageCount < 1 || vectors.Length != product.ImageCount * definition.Dimension)
        {
            throw new ArgumentException(
                $"Product '{product.ProductId}' sends {vectors.Length} floats for {product.ImageCount} images; dimension is {definition.Dimension}.");
        }

        if (vectors.Any(value => !float.IsFinite(value)))
        {
            throw new ArgumentException($"Product '{product.ProductId}' has NaN or infinite vector values.");
        }

        return new LogUpsert(product.ProductId, product.Category, product.MetadataJson, product.ImageCount, vectors);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default)
    {
        if (!products.ContainsKey(productId))
        {
            return false;
        }

        var record = new LogDelete(productId);
        await log.AppendAsync(record, cancellationToken);
        Apply(record);
        return true;
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ProductView?> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        Task.FromResult(products.GetValueOrDefault(productId));

    /// <inheritdoc />
    [ReadOnly]
    public Task<IReadOnlyList<ShardHit>> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default)
    {
        if (products.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ShardHit>>([]);
        }

        var hits = index.Search(query.Vector, Math.Min(query.K, products.Count), query.Category);
        IReadOnlyList<ShardHit> result = [.. hits.Select(hit =>
        {
            var product = products[hit.ProductId];
            return new ShardHit(hit.ProductId, hit.Score, hit.ImageIndex, product.Category, product.MetadataJson);
        })];
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    [ReadOnly]
    public Task<ShardCounts> GetCountsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ShardCounts(products.Count, index.ImageCount));

    private void Apply(ShardLogRecord record)
    {
        switch (record)
        {
            case LogUpsert upsert:
                index.Upsert(upsert.ProductId, upsert.Category, upsert.Vectors);
                products[upsert.ProductId] = new ProductView(upsert.ProductId, upsert.Category, upsert.MetadataJson, upsert.ImageCount);
                break;
            case LogDelete delete:
                index.Remove(delete.ProductId);
                products.Remove(delete.ProductId);
                break;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Shard {Catalog}/{Shard} loaded {Products} products, {Images} images in {ElapsedMs:F0} ms")]
    private partial void LogShardLoaded(string catalog, int shard, int products, int images, double elapsedMs);
}
