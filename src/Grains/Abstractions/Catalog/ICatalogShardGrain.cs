namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// Owns one partition of a catalog's products and their image vectors. Keyed by
/// <c>{catalog}/{shard number}</c> (see <see cref="ShardKeys"/>); a product lives in exactly one
/// shard, chosen by a stable hash of its id. Every write is durable before it is acknowledged.
/// </summary>
public interface ICatalogShardGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces a product with its image vectors.</summary>
    Task<UpsertStatus> UpsertAsync(ProductUpsert product, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds or replaces many products with one durable log append; all or none are applied.
    /// Returns how many were new.
    /// </summary>
    Task<int> UpsertBatchAsync(ProductUpsert[] products, CancellationToken cancellationToken = default);

    /// <summary>Removes a product; false when it was not there.</summary>
    Task<bool> DeleteAsync(string productId, CancellationToken cancellationToken = default);

    /// <summary>A stored product, or null.</summary>
    Task<ProductView?> GetAsync(string productId, CancellationToken cancellationToken = default);

    /// <summary>This shard's top-k products for the query, best first, ties by product id.</summary>
    Task<IReadOnlyList<ShardHit>> SearchAsync(ShardQuery query, CancellationToken cancellationToken = default);

    /// <summary>Which index answers searches and whether a graph was built, loaded or persisted.</summary>
    Task<ShardIndexStats> GetIndexStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Indexes the catalog's declared metadata fields (name → <c>string</c> or <c>number</c>) for filters: fields new to
    /// the shard are indexed from the stored metadata of every product it holds. Called by the catalog grain when
    /// fields are added; a shard that activates later reads them from the definition.
    /// </summary>
    Task DeclareFieldsAsync(Dictionary<string, string> fields, CancellationToken cancellationToken = default);

    /// <summary>Products and images held by this shard.</summary>
    Task<ShardCounts> GetCountsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves this shard to <paramref name="silo"/> (Orleans activation migration): once idle it closes (its log
    /// is already durable), then activates there at once, reopening from storage. Nothing happens when it already runs there or
    /// when that silo is no longer a place shards may run.
    /// </summary>
    Task MoveToAsync(SiloAddress silo, CancellationToken cancellationToken = default);

    /// <summary>Image vectors held and the estimated bytes of the shard's indexes.</summary>
    Task<ShardFootprint> GetFootprintAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="max"/> products with their first image's vector, spread evenly over the
    /// shard's products in id order (the same products for the same contents). Read-only.
    /// </summary>
    Task<IReadOnlyList<ProductVectorSample>> SampleVectorsAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the writer the catalog's replica count changed, so it places new read replicas (or retires surplus ones)
    /// now rather than at its next placement check.
    /// </summary>
    Task SetReplicasAsync(int replicas, CancellationToken cancellationToken = default);
}

/// <summary>The one place that spells shard grain keys.</summary>
public static class ShardKeys
{
    /// <summary>Key of read replica <paramref name="replica"/> (1 or more; 0 is the writer) of a shard: <c>catalog/shard/replica</c>.</summary>
    public static string ForReplica(string catalog, int shard, int replica) => $"{catalog}/{shard}/{replica}";

    /// <summary>Parses a key made by <see cref="ForReplica"/>.</summary>
    public static (string Catalog, int Shard, int Replica) ParseReplica(string key)
    {
        var slash = key.LastIndexOf('/');
        var (catalog, shard) = Parse(key[..slash]);
        return (catalog, shard, int.Parse(key[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static string For(string catalog, int shard) => $"{catalog}/{shard}";

    /// <summary>Splits a key made by <see cref="For"/>; the catalog name may not contain '/'.</summary>
    public static (string Catalog, int Shard) Parse(string key)
    {
        var slash = key.LastIndexOf('/');
        return (key[..slash], int.Parse(key[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
