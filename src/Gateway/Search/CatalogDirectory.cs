using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using OutfitFinder.Gateway.Hosting;
using System.Text.RegularExpressions;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>
/// The gateway's view of catalog definitions. Only a definition's replica count and declared fields (added) change
/// once created, so a found one is cached and asked for again after <c>Gateway:CatalogRefresh</c> (a stale count only
/// means a search asks fewer or more copies for a few seconds; it also bounds how long another gateway takes to accept
/// filters on a new field); a missing one is asked for again each time.
/// </summary>
public sealed partial class CatalogDirectory(IGrainFactory grains, IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, (CatalogDefinition Definition, long FetchedAt)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);

    /// <summary>Catalog names: lower-case letters, digits, '-' and '_', 1–64 characters, starting with a letter or digit.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public async Task<CatalogDefinition?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(name, out var cached))
        {
            if (Stopwatch.GetElapsedTime(cached.FetchedAt) >= options.Value.CatalogRefresh)
            {
                // Refreshed in the background: the catalog grain may sit on a silo that died a moment ago, and a search
                // must not wait for membership to notice. The definition known until now serves meanwhile.
                if (_refreshing.TryAdd(name, 0))
                {
                    _ = RefreshAsync(name);
                }
            }

            return cached.Definition;
        }

        var definition = await grains.GetGrain<ICatalogGrain>(name).GetAsync(cancellationToken);
        if (definition is not null)
        {
            Remember(definition);
        }

        return definition;
    }

    private async Task RefreshAsync(string name)
    {
        try
        {
            if (await grains.GetGrain<ICatalogGrain>(name).GetAsync() is { } definition)
            {
                Remember(definition);
            }
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException)
        {
            // Tried again by the next search after the refresh interval.
        }
        finally
        {
            _refreshing.TryRemove(name, out _);
        }
    }

    /// <summary>Caches a definition this gateway just changed, so its own next search uses it at once.</summary>
    public void Remember(CatalogDefinition definition) => _cache[definition.Name] = (definition, Stopwatch.GetTimestamp());

    // \z, not $: '$' also matches before a final "\n", which let "fuzz\n" through (found by FuzzTests).
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex ValidName();
}
