using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>
/// The gateway's view of catalog definitions. Only a definition's declared fields change after creation (added),
/// so a found one is cached and asked for again after <see cref="RefreshAfter"/>, which bounds how long another
/// gateway takes to accept filters on a new field; a missing one is asked for again each time.
/// </summary>
public sealed partial class CatalogDirectory(IGrainFactory grains)
{
    /// <summary>How long a cached definition is used before the catalog grain is asked again.</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, (CatalogDefinition Definition, long Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>Caches a definition this gateway just created or changed, so its own next requests see it.</summary>
    public void Remember(CatalogDefinition definition) =>
        _cache[definition.Name] = (definition, Environment.TickCount64 + (long)RefreshAfter.TotalMilliseconds);

    /// <summary>Catalog names: lower-case letters, digits, '-' and '_', 1–64 characters, starting with a letter or digit.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public async Task<CatalogDefinition?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(name, out var cached) && Environment.TickCount64 < cached.Until)
        {
            return cached.Definition;
        }

        var definition = await grains.GetGrain<ICatalogGrain>(name).GetAsync(cancellationToken);
        if (definition is not null)
        {
            Remember(definition);
        }

        return definition;
    }

    // \z, not $: '$' also matches before a final "\n", which let "fuzz\n" through (found by FuzzTests).
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex ValidName();
}
