using System.Globalization;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Cli.Bench;

/// <summary>Which index <c>outfit bench index</c> builds.</summary>
internal enum BenchIndexKind
{
    /// <summary><see cref="FlatVectorIndex"/>: exact, no parameters.</summary>
    Flat,

    /// <summary><see cref="Int8VectorIndex"/>: int8 scan, exact re-rank of <c>rerank × k</c> candidates.</summary>
    Int8,
}

/// <summary>One setting to measure: the per-query parameters of the index (none for flat).</summary>
/// <param name="Rerank">Int8 candidates re-ranked per result; null for flat.</param>
internal sealed record BenchSetting(int? Rerank)
{
    /// <summary>As printed in the <c>param</c> field: <c>rerank=4</c>, or null when there is nothing to set.</summary>
    public string? Describe() => Rerank is { } rerank ? string.Create(CultureInfo.InvariantCulture, $"rerank={rerank}") : null;

    /// <summary>
    /// Expands <c>--param</c> values into settings, in the order given: <c>rerank=2,4</c> and
    /// <c>rerank=8</c> give three settings. With no values: the index's defaults (one setting).
    /// </summary>
    /// <exception cref="BenchInputException">A value is malformed, unknown, or given to flat.</exception>
    public static IReadOnlyList<BenchSetting> Parse(BenchIndexKind index, IReadOnlyList<string> values)
    {
        if (index == BenchIndexKind.Flat)
        {
            return values.Count == 0
                ? [new BenchSetting(Rerank: null)]
                : throw new BenchInputException($"--index flat takes no --param; got '{values[0]}'.");
        }

        if (values.Count == 0)
        {
            return [new BenchSetting(Int8VectorIndex.DefaultRerank)];
        }

        var settings = new List<BenchSetting>();
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? value : value[..equals].Trim();
            if (!string.Equals(name, "rerank", StringComparison.OrdinalIgnoreCase))
            {
                throw new BenchInputException($"--index int8 takes --param rerank=N[,N...]; got '{value}'.");
            }

            foreach (var item in value[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var rerank) || rerank < 1)
                {
                    throw new BenchInputException($"rerank must be a whole number of at least 1; got '{item}' in '{value}'.");
                }

                settings.Add(new BenchSetting(rerank));
            }
        }

        return settings;
    }
}
