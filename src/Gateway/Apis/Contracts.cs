using System.Text.Json;

namespace OutfitFinder.Gateway.Apis;

/// <summary>Body of <c>PUT /v1/catalogs/{catalog}</c>; every field optional.</summary>
/// <param name="Model">Embedding model, or <c>none</c> for a catalog of vectors made elsewhere (products and searches
/// by vector only). Default: <c>resnet18-rmac-street</c> for a new catalog; an existing catalog keeps its model when left out.</param>
/// <param name="Metric">cosine, dot, l2 or l1. Default: <c>cosine</c>.</param>
/// <param name="Shards">Number of shards, 1–256. Default: 4.</param>
/// <param name="Replicas">Copies of each shard that answer searches, 1–8: the shard's writer and <c>replicas - 1</c> read
/// replicas on other silos. Default: 1 for a new catalog; an existing catalog keeps its count unless one is given, and
/// a different count changes it live (with added fields, the changes an existing catalog accepts).</param>
/// <param name="Dimension">Vector length: required with model <c>none</c> (1–4096); otherwise the model's, or left out.</param>
/// <param name="Fields">Metadata fields indexed for search filters, name → <c>string</c> or <c>number</c>, e.g.
/// <c>{"price":"number","brand":"string"}</c>. PUT again with more fields to add them; a declared field keeps its type.</param>
/// <param name="Localise">How photo searches find the garment when they do not say: <c>none</c>, <c>fast</c> or <c>thorough</c>. Default: <c>thorough</c> for a new catalog; an existing catalog keeps its own when left out.</param>
public sealed record CreateCatalogRequest(string? Model = null, string? Metric = null, int? Shards = null, int? Replicas = null,
    int? Dimension = null, Dictionary<string, string>? Fields = null, string? Localise = null);

/// <summary>A catalog as the API shows it; <c>Fields</c> are the metadata fields indexed for filters; <c>Localise</c> is what its photo
/// searches use by default (<c>none</c> for catalogs made before the setting).</summary>
public sealed record CatalogResponse(string Name, string Model, string Metric, int Dimension, int Shards, long Products, long Images,
    IReadOnlyDictionary<string, string> Fields, int Replicas = 1, string Localise = "none");

/// <summary>A page of catalogs in name order; <c>Next</c> is the <c>after</c> of the next page, null on the last.</summary>
public sealed record CatalogListResponse(IReadOnlyList<CatalogResponse> Catalogs, string? Next);

/// <summary>A product as the API shows it.</summary>
public sealed record ProductResponse(string ProductId, string? Category, JsonElement? Metadata, int Images);

/// <summary>JSON body of a search: by vector, or by a base64 photo (optionally cropped to a box).</summary>
/// <param name="Vector">Query vector; its length must be the catalog's dimension. Not with <paramref name="Image"/>.</param>
/// <param name="K">Results wanted, 1–1000. Default: 20.</param>
/// <param name="Category">Only products of this category.</param>
/// <param name="Ef">Candidates a graph-indexed shard keeps per query, 1–4096: higher is slower and closer to
/// exact. Default: the cluster's <c>Search:DefaultEf</c>. Ignored by shards that scan exactly.</param>
/// <param name="Image">A photo's bytes, base64-encoded (JPEG, PNG, WebP, BMP or GIF). Not with <paramref name="Vector"/>.</param>
/// <param name="Box">Only for <paramref name="Image"/>: <c>x,y,w,h</c>, the region of the upright photo to search with, in pixels.</param>
/// <param name="Filter">Only products whose declared metadata fields pass, e.g.
/// <c>{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}</c>: equality (a bare value or <c>eq</c>),
/// <c>in</c>, <c>lt</c>/<c>lte</c>/<c>gt</c>/<c>gte</c> on number fields, nested with <c>and</c>/<c>or</c>.</param>
/// <param name="Localise">Only for <paramref name="Image"/>: <c>none</c>, <c>fast</c> or <c>thorough</c>; default the catalog's.</param>
public sealed record SearchByVectorRequest(float[]? Vector = null, int? K = null, string? Category = null, int? Ef = null, string? Image = null, string? Box = null,
    JsonElement? Filter = null, string? Localise = null);

/// <summary>JSON body of <c>PUT …/products/{productId}</c> for vectors made elsewhere: one vector per image.</summary>
/// <param name="Vectors">One vector per image, each of the catalog's dimension; 1 to the gateway's image limit.</param>
/// <param name="Category">Optional category, matched exactly by searches.</param>
/// <param name="Metadata">Optional JSON object of strings and numbers, returned with results and filtered on.</param>
public sealed record PutProductVectorsRequest(float[][]? Vectors = null, string? Category = null, JsonElement? Metadata = null);

/// <summary>One result: a product, its best-matching image and that image's score.</summary>
public sealed record SearchResult(string ProductId, float Score, string? Category, int ImageIndex, JsonElement? Metadata);

/// <summary>Search answer, best first. <c>Partial</c> is true when some shard did not answer in time.</summary>
/// <param name="Results">The products, best first.</param>
/// <param name="Partial">Some shard had no copy that answered in time: its products are missing.</param>
/// <param name="TookMs">Time the gateway spent on the search.</param>
/// <param name="Stale">Some shard answered through a read replica, which may lack writes acknowledged in the last
/// <paramref name="LagMs"/> milliseconds; false when every shard's writer answered (every acknowledged write is in).</param>
/// <param name="LagMs">The largest lag of the read replicas that answered; 0 when none did.</param>
public sealed record SearchResponse(IReadOnlyList<SearchResult> Results, bool Partial, double TookMs, bool Stale = false, double LagMs = 0);

internal static class Json
{
    public static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
