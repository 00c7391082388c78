namespace OutfitFinder.Gateway.Access;

/// <summary>
/// An API key as stored under <c>access/keys/{id}.json</c>: who may do what, and a salted hash of
/// the secret. The secret itself is never stored, logged or returned after creation.
/// </summary>
/// <param name="Id">Short public id, the part of the key before the '.'; safe to log.</param>
/// <param name="Name">A label for people ("acme storefront").</param>
/// <param name="Scopes">What the key may do.</param>
/// <param name="Catalogs">When set, the only catalogs the key may touch.</param>
/// <param name="CatalogPrefix">When set, the key may touch only catalogs whose names start with it (one retailer's).</param>
/// <param name="CorsOrigins">Browser origins allowed to call with this key, besides <c>Auth:CorsOrigins</c>.</param>
/// <param name="MaxProductsPerCatalog">When set, this key may not grow a catalog beyond that many products.</param>
/// <param name="Salt">Random per key, base64.</param>
/// <param name="Hash">HMAC-SHA256 of the secret keyed by the salt, base64.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked; a revoked key authenticates nothing.</param>
public sealed record ApiKeyRecord(
    string Id,
    string? Name,
    IReadOnlyList<ApiScope> Scopes,
    IReadOnlyList<string>? Catalogs,
    string? CatalogPrefix,
    IReadOnlyList<string>? CorsOrigins,
    long? MaxProductsPerCatalog,
    string Salt,
    string Hash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>True when the key is limited to some catalogs (a list or a prefix).</summary>
    public bool IsConfined => Catalogs is not null || CatalogPrefix is not null;

    /// <summary>Whether this key may touch <paramref name="catalog"/>: unconfined keys may touch any.</summary>
    public bool AllowsCatalog(string catalog) =>
        !IsConfined
        || (Catalogs?.Contains(catalog, StringComparer.Ordinal) ?? false)
        || (CatalogPrefix is not null && catalog.StartsWith(CatalogPrefix, StringComparison.Ordinal));
}

/// <summary>What a new key may do; the store adds the id, salt and hash.</summary>
public sealed record ApiKeySpec(
    string? Name,
    IReadOnlyList<ApiScope> Scopes,
    IReadOnlyList<string>? Catalogs = null,
    string? CatalogPrefix = null,
    IReadOnlyList<string>? CorsOrigins = null,
    long? MaxProductsPerCatalog = null);
