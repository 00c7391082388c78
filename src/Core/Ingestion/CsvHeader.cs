using CsvHelper;

namespace OutfitFinder.Core.Ingestion;

/// <summary>
/// The header row of a CSV file the cluster reads (ingestion manifests, evaluation queries): read
/// once, checked for required, duplicate and (optionally) unnamed columns, with errors that name
/// the file and the column. Column names match case-insensitively.
/// </summary>
public sealed class CsvHeader
{
    private readonly Dictionary<string, int> _indexByName;

    private CsvHeader(string[] names, Dictionary<string, int> indexByName)
    {
        Names = names;
        _indexByName = indexByName;
    }

    /// <summary>The column names in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The column's position, or -1 when the header has no such column.</summary>
    public int IndexOf(string name) => _indexByName.GetValueOrDefault(name, -1);

    /// <summary>Reads the header row of <paramref name="csv"/>.</summary>
    /// <param name="csv">Positioned before the header row; left after it.</param>
    /// <param name="sourceName">How errors name the file, usually its path.</param>
    /// <param name="required">Columns the file must have, in the order errors list them.</param>
    /// <param name="unnamedAllowed">Whether a column may have an empty name (it is then ignored).</param>
    /// <param name="error">Makes the caller's exception from a message and its cause.</param>
    /// <param name="standIns">Required columns that other columns may stand in for (required → any one of its stand-ins).</param>
    public static CsvHeader Read(
        CsvReader csv, string sourceName, IReadOnlyList<string> required, bool unnamedAllowed, Func<string, Exception?, Exception> error,
        IReadOnlyDictionary<string, string[]>? standIns = null)
    {
        string[] header;
        try
        {
            header = csv.Read() && csv.ReadHeader() ? csv.HeaderRecord ?? [] : [];
        }
        catch (CsvHelperException ex)
        {
            throw error($"{sourceName}: the header row could not be read: {ex.Message}", ex);
        }

        if (header.Length == 0)
        {
            throw error(
                $"{sourceName} is empty; it needs a header row with the columns {string.Join(" and ", required.Select(name => $"'{name}'"))}.", null);
        }

        var indexByName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(header[i]))
            {
                if (unnamedAllowed)
                {
                    continue;
                }

                throw error($"{sourceName}: column {i + 1} of the header has no name.", null);
            }

            if (!indexByName.TryAdd(header[i], i))
            {
                throw error($"{sourceName}: the header names column '{header[i]}' twice.", null);
            }
        }

        var missing = required.Where(name => !indexByName.ContainsKey(name)
            && !(standIns is not null && standIns.TryGetValue(name, out var others) && others.Any(indexByName.ContainsKey))).ToArray();
        if (missing.Length > 0)
        {
            throw error(
                $"{sourceName} is missing the required column{(missing.Length > 1 ? "s" : "")} "
                + $"{string.Join(", ", missing.Select(name => $"'{name}'"))}; its header has: {string.Join(", ", header)}.", null);
        }

        return new CsvHeader(header, indexByName);
    }
}
