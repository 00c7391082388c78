namespace OutfitFinder.Core.Search;

/// <summary>
/// Every index stores each category string once, so the scan's filter is a reference comparison
/// against the one shared instance (an unknown category means no product can match).
/// </summary>
internal static class Categories
{
    /// <summary>The shared instance of <paramref name="category"/>, adding it when it is new.</summary>
    public static string? Intern(HashSet<string> known, string? category)
    {
        if (category is null)
        {
            return null;
        }

        if (known.TryGetValue(category, out var shared))
        {
            return shared;
        }

        known.Add(category);
        return category;
    }
}
