using ScottPlot;

namespace OutfitFinder.Cli.Charts;

/// <summary>
/// Top-k accuracy against k, one line per catalog or combination: the curve consumer-to-shop retrieval
/// papers draw, where the bar chart shows only one k. Lines that cross say one method ranks the right
/// product first more often while another finds it within the page more often.
/// </summary>
internal static class TopKCurveChart
{
    /// <summary>Width of the PNG in pixels.</summary>
    internal const int Width = 1200;

    /// <summary>Height of the PNG in pixels.</summary>
    internal const int Height = 600;

    /// <summary>One measured depth: k and the accuracy (0–1) at it.</summary>
    internal sealed record Point(int K, double Accuracy);

    /// <summary>One line: a catalog or combination and its points.</summary>
    internal sealed record Series(string Name, IReadOnlyList<Point> Points);

    /// <summary>Draws the lines in the order given (which picks their colours) and saves a PNG.</summary>
    public static void Save(string path, string title, IReadOnlyList<Series> series)
    {
        ArgumentOutOfRangeException.ThrowIfZero(series.Count);
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var maxK = 1;
        for (var s = 0; s < series.Count; s++)
        {
            var points = series[s].Points.OrderBy(point => point.K).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(
                points.Select(point => (double)point.K).ToArray(),
                points.Select(point => point.Accuracy * 100).ToArray(),
                palette.GetColor(s));
            line.LegendText = series[s].Name;
            line.LineWidth = 2;
            line.MarkerSize = 5;
            maxK = Math.Max(maxK, points[^1].K);
        }

        plot.Axes.SetLimits(0.5, maxK + 0.5, 0, 105);
        plot.XLabel("k (results looked at)");
        plot.YLabel("top-k accuracy (%)");
        plot.Title(title);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Width, Height);
    }
}
