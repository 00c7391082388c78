namespace OutfitFinder.Grains.Catalog;

/// <summary>
/// A catalog's fixed embedding space and layout, chosen at creation and never changed: every
/// vector in the catalog was made by <see cref="Model"/>, compared with <see cref="Metric"/>,
/// and lives in one of <see cref="Shards"/> shards.
/// </summary>
/// <param name="Name">Catalog name, as in the URL.</param>
/// <param name="Model">Embedding model, e.g. <c>resnet18</c>.</param>
/// <param name="Metric">Distance metric wire name: <c>cosine</c>, <c>dot</c>, <c>l2</c> or <c>l1</c>.</param>
/// <param name="Dimension">Vector length the model produces.</param>
/// <param name="Shards">Number of catalog shard grains.</param>
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
    [property: Id(5)] string? Localise = null);

/// <summary>What a caller asks for when creating a catalog; the dimension follows from the model.</summary>
[GenerateSerializer, Immutable]
public sealed record CatalogSpec(
    [property: Id(0)] string Model,
    [property: Id(1)] string Metric,
    [property: Id(2)] int Shards,
    [property: Id(3)] string? Localise = null);

/// <summary>How a create request ended.</summary>
public enum CreateCatalogStatus
{
    /// <summary>The catalog did not exist and now does.</summary>
    Created,
    /// <summary>It already existed with exactly this definition; nothing changed.</summary>
    AlreadyExists,
    /// <summary>It already exists with a different definition; nothing changed.</summary>
    Conflict,
    /// <summary>The requested model is not served by this cluster.</summary>
    UnknownModel,
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
