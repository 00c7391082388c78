namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// A catalog's fixed embedding space and layout, chosen at creation and never changed: every
/// vector in the catalog was made by <see cref="Model"/>, compared with <see cref="Metric"/>,
/// and lives in one of <see cref="Shards"/> shards. Only <see cref="Replicas"/> and <see cref="Fields"/> (added) may change later.
/// </summary>
/// <param name="Name">Catalog name, as in the URL.</param>
/// <param name="Model">Embedding model, e.g. <c>resnet18</c>.</param>
/// <param name="Metric">Distance metric wire name: <c>cosine</c>, <c>dot</c>, <c>l2</c> or <c>l1</c>.</param>
/// <param name="Dimension">Vector length the model produces.</param>
/// <param name="Shards">Number of catalog shard grains.</param>
/// <param name="Replicas">Copies of each shard that answer searches: its writer plus <c>Replicas - 1</c> read
/// replicas on other silos. 1 (the default, and what catalogs made before replicas read as) is the writer alone.</param>
/// <param name="Fields">Metadata fields indexed for filters, name → <c>string</c> or <c>number</c>; null when none
/// are declared. The one part that may change after creation: fields can be added, never removed or retyped.
/// Never mutated once the definition is built.</param>
/// <param name="Localise">
/// How a photo search localises the garment when the request does not say (<c>none</c>, <c>fast</c>,
/// <c>thorough</c>); null for catalogs created before the setting existed, which search as <c>none</c>.
/// </param>
[GenerateSerializer, Immutable]
public sealed record CatalogDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] string Model,
    [property: Id(2)] string Metric,
    [property: Id(3)] int Dimension,
    [property: Id(4)] int Shards,
    [property: Id(5)] int Replicas = 1,
    [property: Id(7)] Dictionary<string, string>? Fields = null,
    [property: Id(9)] string? Localise = null)
{
    /// <summary>The most copies of a shard a catalog may ask for.</summary>
    public const int MaxReplicas = 8;

    /// <summary>
    /// The model name of a catalog that holds vectors made elsewhere: it has no extractor, so products and searches
    /// come as vectors, and its dimension is given at creation.
    /// </summary>
    public const string VectorsOnlyModel = "none";

    /// <summary>Largest dimension a vectors-only catalog may declare.</summary>
    public const int MaxDimension = 4096;

    /// <summary>Whether this catalog holds vectors only (<see cref="VectorsOnlyModel"/>): no photos in or out.</summary>
    public bool IsVectorsOnly => Model == VectorsOnlyModel;

    /// <summary>Equal in everything but the replica count and the fields (which a dictionary compares by reference).</summary>
    public bool SameLayout(CatalogDefinition other) =>
        other is not null && (Name, Model, Metric, Dimension, Shards, Localise ?? "none") == (other.Name, other.Model, other.Metric, other.Dimension, other.Shards, other.Localise ?? "none");
}

/// <summary>What a caller asks for when creating a catalog; the dimension follows from the model unless the model is
/// <see cref="CatalogDefinition.VectorsOnlyModel"/>.</summary>
/// <param name="Model">Embedding model, or <c>none</c> for vectors only.</param>
/// <param name="Metric">Distance metric wire name.</param>
/// <param name="Shards">Number of shards.</param>
/// <param name="Replicas">Null keeps an existing catalog's count (1 for a new one); a count that differs from an
/// existing catalog's changes it live.</param>
/// <param name="Dimension">Required for <c>none</c>; for a served model, null or its dimension.</param>
/// <param name="Fields">Metadata fields to index (name → <c>string</c> or <c>number</c>), validated by the caller;
/// on an existing catalog, new names are added.</param>
/// <param name="Localise">How photo searches localise the garment when they do not say; part of the layout.</param>
[GenerateSerializer, Immutable]
public sealed record CatalogSpec(
    [property: Id(0)] string Model,
    [property: Id(1)] string Metric,
    [property: Id(2)] int Shards,
    [property: Id(3)] int? Replicas = null,
    [property: Id(7)] int? Dimension = null,
    [property: Id(8)] Dictionary<string, string>? Fields = null,
    [property: Id(9)] string? Localise = null);

/// <summary>How a create request ended.</summary>
public enum CreateCatalogStatus
{
    /// <summary>The catalog did not exist and now does.</summary>
    Created,
    /// <summary>It already existed with exactly this definition; nothing changed.</summary>
    AlreadyExists,
    /// <summary>It already existed with this layout, and the request declared new fields, now indexed.</summary>
    FieldsAdded,
    /// <summary>It already exists with a different definition; nothing changed.</summary>
    Conflict,
    /// <summary>The requested model is not served by this cluster.</summary>
    UnknownModel,
    /// <summary>It existed with this definition but another replica count, which is now the requested one.</summary>
    ReplicasChanged,
}

/// <summary>Result of <see cref="ICatalogGrain.CreateAsync"/>: the status and the catalog as it now stands.</summary>
[GenerateSerializer, Immutable]
public sealed record CreateCatalogResult(
    [property: Id(0)] CreateCatalogStatus Status,
    [property: Id(1)] CatalogDefinition? Definition,
    [property: Id(2)] string? Detail);

/// <summary>How much a catalog holds, summed over its shards.</summary>
[GenerateSerializer, Immutable]
public sealed record CatalogCounts(
    [property: Id(0)] long Products,
    [property: Id(1)] long Images);
