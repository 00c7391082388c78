using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards;

/// <summary>Which shard a <see cref="CatalogShard"/> is, and the embedding space its vectors live in.</summary>
/// <param name="Catalog">Catalog name, for messages and logs.</param>
/// <param name="Shard">Shard number in the catalog, for messages and logs.</param>
/// <param name="Dimension">Floats per vector.</param>
/// <param name="Metric">How vectors are compared.</param>
/// <param name="Folder">The shard's folder in the blob store: its snapshot, saved graph and log live there.</param>
/// <param name="Fields">The catalog's declared metadata fields, indexed for filters; null for none.</param>
public sealed record ShardDefinition(string Catalog, int Shard, int Dimension, DistanceMetric Metric, string Folder,
    IReadOnlyDictionary<string, FieldType>? Fields = null);

/// <summary>A product to store in a shard: its metadata and one vector per image.</summary>
/// <param name="ProductId">Product id, unique in the catalog.</param>
/// <param name="Category">Optional category used by filters, matched exactly.</param>
/// <param name="MetadataJson">Optional JSON object returned with results.</param>
/// <param name="ImageCount">Number of images, and so of vectors.</param>
/// <param name="Vectors"><c>ImageCount × dimension</c> floats; the shard copies them and does not change them.</param>
public sealed record ShardUpsert(string ProductId, string? Category, string? MetadataJson, int ImageCount, float[] Vectors);

/// <summary>A stored product, without its vectors.</summary>
public sealed record ShardProduct(string ProductId, string? Category, string? MetadataJson, int ImageCount);

/// <summary>A search as a shard answers it.</summary>
/// <param name="Vector">The query vector, dimension of the catalog. Never changed by the shard.</param>
/// <param name="K">How many products the shard returns at most.</param>
/// <param name="Category">When set, only products of this category are scanned.</param>
/// <param name="Ef">Candidates a graph keeps per query, between 1 and <see cref="MaxEf"/>; null for <see cref="ShardIndexOptions.DefaultEf"/>.</param>
/// <param name="FilterJson">A metadata filter in the filter language (<see cref="MetadataFilterParser"/>) over the
/// catalog's declared fields, applied with the category inside the search; null for none.</param>
public sealed record ShardSearch(float[] Vector, int K, string? Category, int? Ef = null, string? FilterJson = null)
{
    /// <summary>Largest <see cref="Ef"/> a shard accepts: past it a graph walk costs more than an exact scan of a shard.</summary>
    public const int MaxEf = 4096;
}

/// <summary>One product of a shard's top-k, with what a response needs about it.</summary>
public sealed record ShardSearchHit(string ProductId, float Score, int ImageIndex, string? Category, string? MetadataJson);

/// <summary>What a shard holds.</summary>
public readonly record struct ShardSize(int Products, int Images);

/// <summary>Which index answers a shard's searches and what its second index has been through since it opened.</summary>
/// <param name="Answering"><c>flat</c> (exact scan) or the second index's <see cref="ShardIndexFactory.Name"/> (<c>hnsw</c>).</param>
/// <param name="GraphBuilding">A second index is being built in the background.</param>
/// <param name="GraphRows">Rows in the answering second index, tombstones included; 0 without one.</param>
/// <param name="GraphTombstones">Rows of deleted or replaced products still in it.</param>
/// <param name="GraphsBuilt">Second indexes built since the shard opened.</param>
/// <param name="GraphsLoaded">Second indexes loaded from storage when the shard opened (0 or 1).</param>
/// <param name="GraphsPersisted">Second indexes handed to a snapshot write since the shard opened.</param>
public sealed record ShardIndexState(string Answering, bool GraphBuilding, int GraphRows, int GraphTombstones,
    int GraphsBuilt, int GraphsLoaded, int GraphsPersisted);

/// <summary>One product's first image vector, for maps and diagnostics of a catalog's embedding space.</summary>
public sealed record ShardVectorSample(string ProductId, string? Category, float[] Vector);
