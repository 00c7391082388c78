namespace OutfitFinder.Gateway.Access;

/// <summary>
/// What an API key may do. Each scope allows exactly what it names; none implies another, so a
/// browser's search key can never write, and an operator's admin key cannot search unless given
/// <see cref="Search"/> too.
/// </summary>
public enum ApiScope
{
    /// <summary>Search a catalog and read its products, images and definition: the scope for browsers.</summary>
    Search,

    /// <summary>Add, replace and delete products.</summary>
    Write,

    /// <summary>Start, follow and cancel ingestion jobs.</summary>
    Ingest,

    /// <summary>Create catalogs, read the cluster's state and metrics, manage API keys.</summary>
    Admin,
}

/// <summary>Scope names as they travel in the API and the CLI: lower case.</summary>
public static class ApiScopes
{
    /// <summary>Every scope, in declaration order.</summary>
    public static IReadOnlyList<ApiScope> All { get; } = Enum.GetValues<ApiScope>();

    /// <summary>The scope's wire name: <c>search</c>, <c>write</c>, <c>ingest</c> or <c>admin</c>.</summary>
    public static string Name(this ApiScope scope) => scope.ToString().ToLowerInvariant();

    /// <summary>Parses a wire name (case-insensitive); false for anything else, numbers included.</summary>
    public static bool TryParse(string? name, out ApiScope scope)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                scope = candidate;
                return true;
            }
        }

        scope = default;
        return false;
    }
}
