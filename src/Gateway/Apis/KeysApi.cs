using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Search;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>/v1/keys</c>: create, list and revoke API keys (admin).</summary>
public static class KeysApi
{
    private const int MaxNameLength = 128;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/keys").WithTags("Keys").RequireScope(ApiScope.Admin);
        keys.MapPost("", CreateAsync).WithName("CreateKey")
            .WithSummary("Create an API key; the answer holds the key itself, which is shown this once and never again.");
        keys.MapGet("", ListAsync).WithName("ListKeys").WithSummary("Every key's id, scopes, limits and state; never a secret.");
        keys.MapDelete("/{id}", RevokeAsync).WithName("RevokeKey")
            .WithSummary("Revoke a key: every gateway refuses it within Auth:CacheTtl (default 5 s).");
        return app;
    }

    internal static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateAsync(
        CreateKeyRequest? request, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        var (spec, problem) = Validate(request);
        if (spec is null)
        {
            return Problems.BadRequest(problem!);
        }

        var (record, key) = await keys.CreateAsync(spec, cancellationToken);
        return TypedResults.Created($"/v1/keys/{record.Id}", new CreatedKeyResponse(key, ToInfo(record)));
    }

    internal static async Task<Ok<KeyInfo[]>> ListAsync(ApiKeyStore keys, CancellationToken cancellationToken) =>
        TypedResults.Ok((await keys.ListAsync(cancellationToken)).Select(ToInfo).ToArray());

    internal static async Task<Results<Ok<KeyInfo>, ProblemHttpResult>> RevokeAsync(string id, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        var revoked = await keys.RevokeAsync(id, cancellationToken);
        return revoked is null
            ? Problems.Make(StatusCodes.Status404NotFound, "Key not found", $"There is no API key with id '{id}'.")
            : TypedResults.Ok(ToInfo(revoked));
    }

    private static KeyInfo ToInfo(ApiKeyRecord key) =>
        new(key.Id, key.Name, [.. key.Scopes.Select(scope => scope.Name())], key.Catalogs, key.CatalogPrefix, key.CorsOrigins,
            key.MaxProductsPerCatalog, key.CreatedAt, key.RevokedAt);

    /// <summary>The key to create, or why the request cannot make one.</summary>
    private static (ApiKeySpec? Spec, string? Problem) Validate(CreateKeyRequest? request)
    {
        if (request?.Scopes is not { Length: > 0 } names)
        {
            return (null, "The body needs 'scopes': one or more of search, write, ingest, admin.");
        }

        var scopes = new List<ApiScope>();
        foreach (var name in names)
        {
            if (!ApiScopes.TryParse(name, out var scope))
            {
                return (null, $"Scope '{name}' is not one of search, write, ingest, admin.");
            }

            scopes.Add(scope);
        }

        if (request.Name is { Length: > MaxNameLength } || (request.Name?.Any(char.IsControl) ?? false))
        {
            return (null, $"The name must be at most {MaxNameLength} characters without control characters.");
        }

        if (request.Catalogs is { Length: 0 })
        {
            return (null, "'catalogs' is empty: leave it out for a key that may use every catalog.");
        }

        if (request.Catalogs?.FirstOrDefault(name => !CatalogDirectory.IsValidName(name ?? "")) is { } badCatalog)
        {
            return (null, $"Catalog name '{badCatalog}' in 'catalogs' is invalid: use 1–64 lower-case letters, digits, '-' or '_'.");
        }

        if (request.CatalogPrefix is { } prefix && (prefix.Length == 0 || !CatalogDirectory.IsValidName(prefix)))
        {
            return (null, $"Catalog prefix '{prefix}' is invalid: it must itself look like the start of a catalog name (lower-case letters, digits, '-' or '_').");
        }

        var origins = new List<string>();
        foreach (var origin in request.CorsOrigins ?? [])
        {
            if (CorsOrigin.Normalize(origin) is not { } normalized)
            {
                return (null, $"CORS origin '{origin}' is not an origin such as https://shop.example.com.");
            }

            origins.Add(normalized);
        }

        if (request.MaxProductsPerCatalog is < 1)
        {
            return (null, $"maxProductsPerCatalog is {request.MaxProductsPerCatalog}; it must be at least 1, or left out for no quota of the key's own.");
        }

        var label = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim();
        return (new ApiKeySpec(label, scopes, request.Catalogs, request.CatalogPrefix,
            origins.Count == 0 ? null : origins, request.MaxProductsPerCatalog), null);
    }
}

/// <summary>Body of <c>POST /v1/keys</c>.</summary>
/// <param name="Name">A label for people, e.g. "acme storefront".</param>
/// <param name="Scopes">One or more of <c>search</c>, <c>write</c>, <c>ingest</c>, <c>admin</c>.</param>
/// <param name="Catalogs">When given, the only catalogs the key may use.</param>
/// <param name="CatalogPrefix">When given, the key may use only catalogs whose names start with it.</param>
/// <param name="CorsOrigins">Browser origins allowed to call with this key (give browsers search-only keys).</param>
/// <param name="MaxProductsPerCatalog">When given, writes with this key may not grow a catalog beyond this many products.</param>
public sealed record CreateKeyRequest(string? Name, string[]? Scopes, string[]? Catalogs, string? CatalogPrefix, string[]? CorsOrigins, long? MaxProductsPerCatalog);

/// <summary>A key as listings show it: never its secret.</summary>
public sealed record KeyInfo(string Id, string? Name, string[] Scopes, IReadOnlyList<string>? Catalogs, string? CatalogPrefix,
    IReadOnlyList<string>? CorsOrigins, long? MaxProductsPerCatalog, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Answer of <c>POST /v1/keys</c>: <paramref name="Key"/> is shown this once.</summary>
public sealed record CreatedKeyResponse(string Key, KeyInfo Info);
