using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// API keys in the cluster's blob store, one JSON blob per key under <c>access/keys/</c>, so every
/// gateway of a cluster sees the same keys with nothing else to run. Lookups are cached for
/// <see cref="AuthOptions.CacheTtl"/>: a revocation reaches every other gateway within that time,
/// and this one at once.
/// </summary>
public sealed class ApiKeyStore(IBlobStore store, IOptions<AuthOptions> options, TimeProvider clock)
{
    /// <summary>The folder keys live in.</summary>
    public const string Folder = "access/keys/";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly ConcurrentDictionary<string, (ApiKeyRecord? Record, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    // A reference, swapped whole: a struct tuple could be read half-written by a concurrent request.
    private volatile ActiveKeys? _active;

    /// <summary>Stores a new key and returns it with its text, which is never available again.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(ApiKeySpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (id, key) = ApiKeySecret.New();
        ApiKeySecret.TryParse(key, out _, out var secret);
        var record = await SaveNewAsync(id, secret, spec, cancellationToken);
        return (record, key);
    }

    /// <summary>
    /// Stores <paramref name="key"/> with every scope unless a key with its id exists (even a
    /// revoked one: an operator's revocation is not undone by a restart). True when it was stored.
    /// </summary>
    public async Task<bool> EnsureBootstrapAsync(string key, CancellationToken cancellationToken)
    {
        if (!ApiKeySecret.TryParse(key, out var id, out var secret))
        {
            throw new ArgumentException("Auth:BootstrapKey is not shaped like a key.", nameof(key));
        }

        if (await ReadAsync(id, cancellationToken) is not null)
        {
            return false;
        }

        await SaveNewAsync(id, secret, new ApiKeySpec("bootstrap", ApiScopes.All), cancellationToken);
        return true;
    }

    /// <summary>The key a request presented, when it exists, is not revoked and its secret matches; else why not.</summary>
    public async Task<(ApiKeyRecord? Record, string? Failure)> VerifyAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiKeySecret.TryParse(presented, out var id, out var secret))
        {
            return (null, $"The API key is malformed: keys look like {ApiKeySecret.Prefix}<id>.<secret>.");
        }

        var record = await FindAsync(id, cancellationToken);
        if (record is null || !ApiKeySecret.Matches(record, secret))
        {
            return (null, $"API key '{id}' is not known, or its secret does not match.");
        }

        return record.RevokedAt is { } revoked ? (null, $"API key '{id}' was revoked at {revoked:u}.") : (record, null);
    }

    /// <summary>The key with <paramref name="id"/>, revoked or not, as cached for at most <see cref="AuthOptions.CacheTtl"/>.</summary>
    public async Task<ApiKeyRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(id, out var cached) && cached.Until > now)
        {
            return cached.Record;
        }

        var record = await ReadAsync(id, cancellationToken);
        _cache[id] = (record, now + options.Value.CacheTtl);
        return record;
    }

    /// <summary>Every key, revoked ones included, ordered by id; read from storage.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var keys = new List<ApiKeyRecord>();
        await foreach (var path in store.ListAsync(Folder, cancellationToken))
        {
            var id = Path.GetFileNameWithoutExtension(path[Folder.Length..]);
            if (ApiKeySecret.IsValidId(id) && await ReadAsync(id, cancellationToken) is { } record)
            {
                keys.Add(record);
            }
        }

        return keys;
    }

    /// <summary>Every key that is not revoked, as cached for at most <see cref="AuthOptions.CacheTtl"/> (for CORS preflights, which carry no key).</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ActiveKeysAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_active is { } active && active.Until > now)
        {
            return active.Keys;
        }

        var keys = (await ListAsync(cancellationToken)).Where(key => key.RevokedAt is null).ToArray();
        _active = new ActiveKeys(keys, now + options.Value.CacheTtl);
        return keys;
    }

    /// <summary>Marks the key revoked (kept, so that listings show when); null when there is no such key.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        if (!ApiKeySecret.IsValidId(id) || await ReadAsync(id, cancellationToken) is not { } record)
        {
            return null;
        }

        var revoked = record.RevokedAt is null ? record with { RevokedAt = clock.GetUtcNow() } : record;
        await WriteAsync(revoked, cancellationToken);
        _cache[id] = (revoked, clock.GetUtcNow() + options.Value.CacheTtl);
        _active = null;
        return revoked;
    }

    private async Task<ApiKeyRecord> SaveNewAsync(string id, string secret, ApiKeySpec spec, CancellationToken cancellationToken)
    {
        var salt = ApiKeySecret.NewSalt();
        var record = new ApiKeyRecord(id, spec.Name, [.. spec.Scopes.Distinct().Order()], spec.Catalogs, spec.CatalogPrefix,
            spec.CorsOrigins, spec.MaxProductsPerCatalog, salt, ApiKeySecret.Hash(salt, secret), clock.GetUtcNow(), RevokedAt: null);
        await WriteAsync(record, cancellationToken);
        _cache.TryRemove(id, out _);
        _active = null;
        return record;
    }

    private async Task<ApiKeyRecord?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAsync(PathOf(id), cancellationToken);
        return bytes is null ? null : JsonSerializer.Deserialize<ApiKeyRecord>(bytes, Json);
    }

    private Task WriteAsync(ApiKeyRecord record, CancellationToken cancellationToken) =>
        store.WriteAsync(PathOf(record.Id), JsonSerializer.SerializeToUtf8Bytes(record, Json), cancellationToken);

    private static string PathOf(string id) => $"{Folder}{id}.json";

    private sealed record ActiveKeys(IReadOnlyList<ApiKeyRecord> Keys, DateTimeOffset Until);
}
