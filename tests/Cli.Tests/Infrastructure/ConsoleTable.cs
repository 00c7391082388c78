namespace OutfitFinder.Cli.Tests.Infrastructure;

/// <summary>Reads back what the CLI printed as a table or a grid.</summary>
internal static class ConsoleTable
{
    /// <summary>Table rows as trimmed cells, splitting on the table's vertical borders.</summary>
    public static List<string[]> Cells(string output) =>
        output.Split('\n')
            .Where(line => line.Contains('│') || line.Contains('|'))
            .Select(line => line.Split('│', '|').Skip(1).SkipLast(1).Select(cell => cell.Trim()).ToArray())
            .ToList();

    /// <summary>The rows of a search results table, best first: cells of rows whose first cell is a rank.</summary>
    public static List<string[]> Hits(string output) =>
        Cells(output).Where(row => row.Length > 0 && int.TryParse(row[0], out _)).ToList();

    /// <summary>Grid lines (<c>outfit catalog show</c>) with runs of spaces collapsed: <c>"Shards 4"</c>.</summary>
    public static List<string> GridLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
}
