using System.Text;

namespace OutfitFinder.Bench.Reporting;

/// <summary>A Markdown table with padded columns, readable both as source and rendered.</summary>
internal sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"A row needs {headers.Length} cells, not {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = headers.Select((header, column) => _rows.Select(row => row[column].Length).Append(header.Length).Max()).ToArray();
        var text = new StringBuilder();
        AppendRow(text, headers, widths);
        AppendRow(text, widths.Select(width => new string('-', width)).ToArray(), widths);
        foreach (var row in _rows)
        {
            AppendRow(text, row, widths);
        }

        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var column = 0; column < cells.Length; column++)
        {
            text.Append(' ').Append(cells[column].PadRight(widths[column])).Append(" |");
        }

        text.Append('\n');
    }
}
