using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>Where an ingestion run sends its work: the extractors, the product image store and the shards.</summary>
public interface IIngestionTarget
{
    Task<EmbedResult> EmbedAsync(string model, byte[][] images, CancellationToken cancellationToken);

    Task SaveImagesAsync(string catalog, string productId, IReadOnlyList<byte[]> images, CancellationToken cancellationToken);

    Task UpsertAsync(string catalog, int shard, ProductUpsert[] products, CancellationToken cancellationToken);
}

/// <summary>The real cluster: extractor grains (batched per silo, spread by the <see cref="ExtractorRouter"/>), the shared store, shard grains.</summary>
public sealed class ClusterIngestionTarget(IGrainFactory grains, ExtractorRouter extractors, IBlobStore store) : IIngestionTarget
{
    private readonly ProductImageStore _images = new(store);

    public Task<EmbedResult> EmbedAsync(string model, byte[][] images, CancellationToken cancellationToken) =>
        extractors.EmbedAsync(new EmbedRequest(model, images), cancellationToken);

    public Task SaveImagesAsync(string catalog, string productId, IReadOnlyList<byte[]> images, CancellationToken cancellationToken) =>
        this._images.SaveAsync(catalog, productId, images, cancellationToken);

    public Task UpsertAsync(string catalog, int shard, ProductUpsert[] products, CancellationToken cancellationToken) =>
        grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, shard)).UpsertBatchAsync(products, cancellationToken);
}
