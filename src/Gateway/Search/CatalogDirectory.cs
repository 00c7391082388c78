using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>
/// The gateway's view of catalog definitions. A definition never changes once created, so a
/// found one is cached for the life of the process; a missing one is asked for again each time.
/// </summary>
public sealed partial class CatalogDirectory(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, CatalogDefinition> _cache = new(StringComparer.Ordinal);

    /// <summary>Catalog names: lower-case letters, digits, '-' and '_', 1–64 characters, starting with a letter or digit.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public async Task<CatalogDefinition?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var definition = await grains.GetGrain<ICatalogGrain>(name).GetAsync(cancellationToken);
        if (definition is not null)
        {
            _cache[name] = definition;
        }

        return definition;
    }

    // \z, not $: '$' also matches before a final "\n", which let "fuzz\n" through (found by FuzzTests).
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex ValidName();
}
