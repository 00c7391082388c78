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

    /// <summary><see cref="HnswIndex"/>: graph search; build parameters m and efConstruction, per-query ef.</summary>
    Hnsw,

    /// <summary><see cref="HnswIndex"/> over int8 codes (<see cref="HnswVectors.Int8"/>): the same parameters as hnsw.</summary>
    HnswInt8,
}

/// <summary>Names of the index kinds as the command line and the result lines spell them.</summary>
internal static class BenchIndexKinds
{
    public static string Name(this BenchIndexKind kind) => kind switch
    {
        BenchIndexKind.HnswInt8 => "hnsw-int8",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>One setting to measure: the per-query parameters of the index (none for flat).</summary>
/// <param name="Rerank">Int8 candidates re-ranked per result; null for other indexes.</param>
/// <param name="Ef">HNSW candidates kept per query; null for other indexes.</param>
/// <param name="Hnsw">HNSW build parameters, the same in every setting of one run; null for other indexes.</param>
internal sealed record BenchSetting(int? Rerank, int? Ef = null, HnswOptions? Hnsw = null)
{
    private const string HnswUsage = "--index hnsw and hnsw-int8 take --param ef=N[,N...], m=N and efConstruction=N";

    /// <summary>
    /// As printed in the <c>param</c> field: <c>rerank=4</c>, <c>ef=64 m=16 efConstruction=200</c>, or null when there
    /// is nothing to set.
    /// </summary>
    public string? Describe() => this switch
    {
        { Rerank: { } rerank } => string.Create(CultureInfo.InvariantCulture, $"rerank={rerank}"),
        { Ef: { } ef, Hnsw: { } hnsw } =>
            string.Create(CultureInfo.InvariantCulture, $"ef={ef} m={hnsw.M} efConstruction={hnsw.EfConstruction}"),
        _ => null,
    };

    /// <summary>
    /// Expands <c>--param</c> values into settings, in the order given: <c>rerank=2,4</c> and
    /// <c>rerank=8</c> give three settings. For hnsw, each ef value is a setting, and m and efConstruction (one
    /// value each, since they fix the one build) apply to all. With no values: the index's defaults (one setting).
    /// </summary>
    /// <exception cref="BenchInputException">A value is malformed, unknown, or given to flat.</exception>
    public static IReadOnlyList<BenchSetting> Parse(BenchIndexKind index, IReadOnlyList<string> values)
    {
        switch (index)
        {
            case BenchIndexKind.Flat:
                return values.Count == 0
                    ? [new BenchSetting(Rerank: null)]
                    : throw new BenchInputException($"--index flat takes no --param; got '{values[0]}'.");
            case BenchIndexKind.Hnsw:
                return ParseHnsw(values, HnswVectors.Float);
            case BenchIndexKind.HnswInt8:
                return ParseHnsw(values, HnswVectors.Int8);
        }

        if (values.Count == 0)
        {
            return [new BenchSetting(Int8VectorIndex.DefaultRerank)];
        }

        var settings = new List<BenchSetting>();
        foreach (var value in values)
        {
            var (name, items) = Split(value);
            if (!string.Equals(name, "rerank", StringComparison.OrdinalIgnoreCase))
            {
                throw new BenchInputException($"--index int8 takes --param rerank=N[,N...]; got '{value}'.");
            }

            settings.AddRange(items.Select(item => new BenchSetting(Positive("rerank", item, value))));
        }

        return settings;
    }

    private static List<BenchSetting> ParseHnsw(IReadOnlyList<string> values, HnswVectors storage)
    {
        var defaults = new HnswOptions(Vectors: storage);
        var efs = new List<int>();
        int? m = null;
        int? efConstruction = null;
        foreach (var value in values)
        {
            var (name, items) = Split(value);
            switch (name.ToLowerInvariant())
            {
                case "ef":
                    efs.AddRange(items.Select(item => Positive("ef", item, value)));
                    break;
                case "m" when items.Length == 1 && m is null:
                    m = Positive("m", items[0], value);
                    if (m < 2)
                    {
                        throw new BenchInputException($"m must be at least 2; got '{items[0]}' in '{value}'.");
                    }

                    break;
                case "efconstruction" when items.Length == 1 && efConstruction is null:
                    efConstruction = Positive("efConstruction", items[0], value);
                    break;
                default:
                    throw new BenchInputException($"{HnswUsage}; got '{value}'.");
            }
        }

        var build = defaults with { M = m ?? defaults.M, EfConstruction = efConstruction ?? defaults.EfConstruction };
        if (efs.Count == 0)
        {
            efs.Add(HnswIndex.DefaultEf);
        }

        return [.. efs.Select(ef => new BenchSetting(Rerank: null, ef, build))];
    }

    private static (string Name, string[] Items) Split(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? value : value[..equals].Trim();
        return (name, value[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries));
    }

    private static int Positive(string name, string item, string value) =>
        int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1
            ? number
            : throw new BenchInputException($"{name} must be a whole number of at least 1; got '{item}' in '{value}'.");
}
