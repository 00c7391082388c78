using ScottPlot;

namespace OutfitFinder.Cli.Charts;

/// <summary>A 2-D map of embedded products (e.g. from t-SNE), one colour per category.</summary>
internal static class EmbeddingMap
{
    /// <summary>Width and height of the PNG in pixels.</summary>
    internal const int Size = 1000;

    /// <summary>Draws the points coloured by <paramref name="categories"/> (null: "(none)") and saves a PNG.</summary>
    public static void Save(string path, string title, double[,] points, IReadOnlyList<string?> categories)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category20();
        var names = categories.Select(c => c ?? "(none)").ToArray();
        var colour = 0;
        foreach (var category in names.Distinct().Order(StringComparer.Ordinal))
        {
            var members = Enumerable.Range(0, names.Length).Where(i => names[i] == category).ToArray();
            var scatter = plot.Add.ScatterPoints(
                members.Select(i => points[i, 0]).ToArray(),
                members.Select(i => points[i, 1]).ToArray());
            scatter.Color = palette.GetColor(colour++);
            scatter.MarkerSize = 5;
            scatter.LegendText = $"{category} ({members.Length})";
        }

        plot.ShowLegend(Edge.Right);
        plot.Title(title);
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.SavePng(path, Size + 250, Size);
    }
}
