namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// A product to store in a shard: its metadata and one vector per shop image.
/// </summary>
/// <param name="ProductId">Product id, unique in the catalog.</param>
/// <param name="Category">Optional category used by filters, matched exactly.</param>
/// <param name="MetadataJson">Optional JSON object of strings and numbers, returned with results.</param>
/// <param name="ImageCount">Number of images, and so of vectors.</param>
/// <param name="Vectors">
/// <c>ImageCount × dimension</c> little-endian floats packed as bytes: Orleans copies a byte
/// array as one block, a float array element by element.
/// </param>
[GenerateSerializer, Immutable]
public sealed record ProductUpsert(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string? Category,
    [property: Id(2)] string? MetadataJson,
    [property: Id(3)] int ImageCount,
    [property: Id(4)] byte[] Vectors);

/// <summary>A stored product as clients see it (no vectors).</summary>
[GenerateSerializer, Immutable]
public sealed record ProductView(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string? Category,
    [property: Id(2)] string? MetadataJson,
    [property: Id(3)] int ImageCount);

/// <summary>A query as every shard receives it.</summary>
/// <param name="Vector">The query vector, dimension of the catalog. Never mutated by the shard.</param>
/// <param name="K">How many products the shard returns at most.</param>
/// <param name="Category">When set, only products of this category are scanned.</param>
/// <param name="Ef">
/// Candidates a graph index keeps per query (between 1 and <see cref="MaxEf"/>): higher is slower
/// and closer to exact. Null for the shard's configured default; ignored by the exact scan.
/// </param>
/// <param name="FilterJson">A metadata filter in the filter language over the catalog's declared fields, already
/// validated by the gateway (canonical JSON); applied with the category inside the search. Null for none.</param>
[GenerateSerializer, Immutable]
public sealed record ShardQuery(
    [property: Id(0)] float[] Vector,
    [property: Id(1)] int K,
    [property: Id(2)] string? Category,
    [property: Id(3)] int? Ef = null,
    [property: Id(7)] string? FilterJson = null)
{
    /// <summary>Largest <see cref="Ef"/> a shard accepts: past it a graph walk costs more than an exact scan of a shard.</summary>
    public const int MaxEf = 4096;
}

/// <summary>One product of a shard's partial top-k, with what the response needs about it.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardHit(
    [property: Id(0)] string ProductId,
    [property: Id(1)] float Score,
    [property: Id(2)] int ImageIndex,
    [property: Id(3)] string? Category,
    [property: Id(4)] string? MetadataJson);

/// <summary>What a shard holds.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardCounts(
    [property: Id(0)] int Products,
    [property: Id(1)] int Images);

/// <summary>What a shard holds and the memory its indexes take, for <c>GET /v1/cluster</c>.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardFootprint(
    [property: Id(0)] int Images,
    [property: Id(1)] long Bytes);

/// <summary>Which index answers a shard's searches and what its graph has been through since activation.</summary>
/// <param name="Answering"><c>flat</c> (exact scan) or <c>hnsw</c> (graph).</param>
/// <param name="GraphBuilding">A graph is being built in the background.</param>
/// <param name="GraphRows">Rows in the answering graph, tombstones included; 0 without a graph.</param>
/// <param name="GraphTombstones">Rows of deleted or replaced products still in the graph.</param>
/// <param name="GraphsBuilt">Graphs built by this activation.</param>
/// <param name="GraphsLoaded">Graphs loaded from storage by this activation (0 or 1).</param>
/// <param name="GraphsPersisted">Graphs handed to a snapshot write by this activation.</param>
[GenerateSerializer, Immutable]
public sealed record ShardIndexStats(
    [property: Id(0)] string Answering,
    [property: Id(1)] bool GraphBuilding,
    [property: Id(2)] int GraphRows,
    [property: Id(3)] int GraphTombstones,
    [property: Id(4)] int GraphsBuilt,
    [property: Id(5)] int GraphsLoaded,
    [property: Id(6)] int GraphsPersisted);

/// <summary>How an upsert ended.</summary>
public enum UpsertStatus
{
    /// <summary>The product was new.</summary>
    Created,
    /// <summary>The product existed; its images, category and metadata were replaced.</summary>
    Replaced,
}

/// <summary>A read replica's answer: its top-k, and how far behind its writer's log it may be.</summary>
/// <param name="Hits">As <see cref="ICatalogShardGrain.SearchAsync"/> answers.</param>
/// <param name="LagMs">Milliseconds since the replica last read its shard's log to the end: every write acknowledged
/// longer ago than this is in <paramref name="Hits"/>'s reckoning.</param>
[GenerateSerializer, Immutable]
public sealed record ShardReplicaAnswer(
    [property: Id(0)] IReadOnlyList<ShardHit> Hits,
    [property: Id(1)] double LagMs);
