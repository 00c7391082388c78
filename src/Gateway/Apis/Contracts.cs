using System.Text.Json;

namespace OutfitFinder.Gateway.Apis;

/// <summary>Body of <c>PUT /v1/catalogs/{catalog}</c>; every field optional.</summary>
/// <param name="Model">Embedding model. Default: <c>resnet18-rmac</c>.</param>
/// <param name="Metric">cosine, dot, l2 or l1. Default: <c>cosine</c>.</param>
/// <param name="Shards">Number of shards, 1–256. Default: 4.</param>
/// <param name="Localise">How photo searches find the garment when they do not say: <c>none</c>, <c>fast</c> or <c>thorough</c>. Default: <c>thorough</c>.</param>
public sealed record CreateCatalogRequest(string? Model = null, string? Metric = null, int? Shards = null, string? Localise = null);

/// <summary>A catalog as the API shows it; <c>Localise</c> is what its photo searches use by default (<c>none</c> for catalogs made before the setting).</summary>
public sealed record CatalogResponse(string Name, string Model, string Metric, int Dimension, int Shards, long Products, long Images, string Localise = "none");

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
/// <param name="Localise">Only for <paramref name="Image"/>: <c>none</c>, <c>fast</c> or <c>thorough</c>; default the catalog's.</param>
public sealed record SearchByVectorRequest(float[]? Vector = null, int? K = null, string? Category = null, int? Ef = null, string? Image = null, string? Box = null,
    string? Localise = null);

/// <summary>One result: a product, its best-matching image and that image's score.</summary>
public sealed record SearchResult(string ProductId, float Score, string? Category, int ImageIndex, JsonElement? Metadata);

/// <summary>Search answer, best first. <c>Partial</c> is true when some shard did not answer in time.</summary>
public sealed record SearchResponse(IReadOnlyList<SearchResult> Results, bool Partial, double TookMs);

internal static class Json
{
    public static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
