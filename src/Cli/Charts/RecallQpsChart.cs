using System.Globalization;
using ScottPlot;

namespace OutfitFinder.Cli.Charts;

/// <summary>
/// The recall–throughput chart of approximate nearest-neighbour benchmarks: recall@k across, queries per second
/// up a log scale, one line per index and thread count through its settings (ef), so that indexes compare at equal
/// recall rather than at equal ef. One colour per index; 1 query thread solid, more dashed.
/// </summary>
internal static class RecallQpsChart
{
    /// <summary>Width of the PNG in pixels.</summary>
    internal const int Width = 1200;

    /// <summary>Height of the PNG in pixels.</summary>
    internal const int Height = 700;

    /// <summary>One measured setting: recall in [0, 1] and queries per second.</summary>
    internal sealed record Point(double Recall, double Qps);

    /// <summary>One line: an index at one thread count, its points in any order.</summary>
    internal sealed record Series(string Index, int Threads, IReadOnlyList<Point> Points);

    /// <summary>Draws the chart and saves it as PNG. Indexes are coloured in the order they first appear.</summary>
    public static void Save(string path, string title, string recallLabel, IReadOnlyList<Series> series)
    {
        ArgumentOutOfRangeException.ThrowIfZero(series.Count);
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var colours = new Dictionary<string, Color>(StringComparer.Ordinal);
        var minRecall = 1.0;
        var (minLog, maxLog) = (double.MaxValue, double.MinValue);
        foreach (var line in series)
        {
            if (!colours.TryGetValue(line.Index, out var colour))
            {
                colour = palette.GetColor(colours.Count);
                colours.Add(line.Index, colour);
            }

            var points = line.Points.Where(point => point.Qps > 0).OrderBy(point => point.Recall).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            // A log axis in ScottPlot is a linear axis over log10 values with tick labels put back in QPS.
            var recalls = points.Select(point => point.Recall).ToArray();
            var logs = points.Select(point => Math.Log10(point.Qps)).ToArray();
            var scatter = plot.Add.Scatter(recalls, logs, colour);
            scatter.LegendText = line.Threads == 1
                ? line.Index
                : string.Create(CultureInfo.InvariantCulture, $"{line.Index}, {line.Threads} threads");
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
            if (line.Threads > 1)
            {
                scatter.LinePattern = LinePattern.Dashed;
                scatter.MarkerShape = MarkerShape.OpenCircle;
            }

            minRecall = Math.Min(minRecall, recalls.Min());
            minLog = Math.Min(minLog, logs.Min());
            maxLog = Math.Max(maxLog, logs.Max());
        }

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = log => Math.Pow(10, log).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
        var left = Math.Max(0, Math.Floor((minRecall - 0.02) * 50) / 50);
        plot.Axes.SetLimits(left, 1.005, Math.Floor(minLog) - 0.05, Math.Ceiling(maxLog) + 0.05);
        plot.XLabel(recallLabel);
        plot.YLabel("queries per second (log scale)");
        plot.Title(title);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Width, Height);
    }
}
