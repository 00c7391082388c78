using System.Text.Json;
using System.Text.Json.Serialization;

namespace OutfitFinder.Cli.Http;

// Wire shapes of the gateway's REST API (v1). They stay in Http/: commands read them, but nothing
// else is built on them.

/// <summary>Body of <c>PUT /v1/catalogs/{catalog}</c>; unset fields are left to the gateway's defaults.</summary>
/// <param name="Model">Embedding model, e.g. resnet18-rmac, or <c>none</c> for vectors made elsewhere.</param>
/// <param name="Metric">Similarity metric, e.g. cosine.</param>
/// <param name="Shards">Number of index shards.</param>
/// <param name="Dimension">Vector length; the gateway requires it with model <c>none</c> (vectors made elsewhere).</param>
/// <param name="Fields">Metadata fields indexed for search filters, name → <c>string</c> or <c>number</c>.</param>
internal sealed record CatalogSettings(string? Model, string? Metric, int? Shards, int? Dimension = null, IReadOnlyDictionary<string, string>? Fields = null)
{
    /// <summary>How photo searches find the garment when they do not say: none, fast or thorough.</summary>
    public string? Localise { get; init; }
}

/// <summary>Body of <c>PUT /v1/catalogs/{catalog}/products/{productId}</c> as JSON: one vector per image, made elsewhere.</summary>
internal sealed record ProductVectorsBody(float[][] Vectors, string? Category, IReadOnlyDictionary<string, JsonElement>? Metadata);

/// <summary>Body of <c>GET /v1/catalogs/{catalog}</c>.</summary>
internal sealed record CatalogInfo(
    string Name,
    string Model,
    string Metric,
    int Dimension,
    int Shards,
    long Products,
    long Images,
    IReadOnlyDictionary<string, string>? Fields = null,
    int Replicas = 1,
    string? Localise = null);

/// <summary>Body of <c>POST /v1/catalogs/{catalog}/search</c>, best hit first.</summary>
internal sealed record SearchResponse(IReadOnlyList<SearchHit> Results, bool Partial, double TookMs);

/// <summary>One hit; <see cref="Metadata"/> is the product's JSON object as the gateway stored it.</summary>
internal sealed record SearchHit(
    string ProductId,
    double Score,
    string? Category,
    int ImageIndex,
    JsonElement? Metadata);

/// <summary>Body of <c>POST /v1/catalogs/{catalog}/ingestions</c>.</summary>
internal sealed record StartIngestionBody(string Source, string Manifest, string? Id);

/// <summary>An ingestion job's progress, counted in manifest rows.</summary>
internal sealed record IngestionInfo(
    string Id,
    string Catalog,
    string Source,
    string Manifest,
    string State,
    long? Total,
    long Succeeded,
    long Failed,
    long Skipped,
    double ImagesPerSecond,
    double? EtaSeconds,
    IReadOnlyList<IngestionFailure> Failures,
    long FailuresNotListed,
    int Resumes,
    string? Error)
{
    public long Done => Succeeded + Failed + Skipped;

    public bool IsRunning => State == "running";
}

/// <summary>One bad manifest row of an ingestion job.</summary>
internal sealed record IngestionFailure(int Row, string? ProductId, string? Image, string Reason);

/// <summary>Body of <c>GET /v1/catalogs/{catalog}/vectors</c>.</summary>
internal sealed record VectorSample(string Catalog, string Model, string Metric, int Dimension, IReadOnlyList<ProductVector> Products);

/// <summary>One sampled product and its first image's vector.</summary>
internal sealed record ProductVector(string ProductId, string? Category, float[] Vector);

/// <summary>Body of <c>POST /v1/keys</c>; unset fields are left out (no limit).</summary>
internal sealed record CreateKeyBody(
    string? Name,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string>? Catalogs,
    string? CatalogPrefix,
    IReadOnlyList<string>? CorsOrigins,
    long? MaxProductsPerCatalog);

/// <summary>An API key as the gateway lists it: never its secret.</summary>
internal sealed record KeyInfo(
    string Id,
    string? Name,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string>? Catalogs,
    string? CatalogPrefix,
    IReadOnlyList<string>? CorsOrigins,
    long? MaxProductsPerCatalog,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);

/// <summary>Body of the answer to <c>POST /v1/keys</c>: <see cref="Key"/> is shown this once.</summary>
internal sealed record CreatedKey(string Key, KeyInfo Info);

/// <summary>The fields of an RFC 9457 <c>application/problem+json</c> body that the CLI shows.</summary>
internal sealed record ProblemBody(string? Title, string? Detail, int? Status);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CatalogSettings))]
[JsonSerializable(typeof(ProductVectorsBody))]
[JsonSerializable(typeof(CatalogInfo))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(StartIngestionBody))]
[JsonSerializable(typeof(IngestionInfo))]
[JsonSerializable(typeof(VectorSample))]
[JsonSerializable(typeof(CreateKeyBody))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(KeyInfo[]))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
