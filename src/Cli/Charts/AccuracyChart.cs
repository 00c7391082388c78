using System.Globalization;
using ScottPlot;

namespace OutfitFinder.Cli.Charts;

/// <summary>
/// A grouped bar chart of top-k accuracy: one group per query category (overall first), one bar
/// per model or catalog, as consumer-to-shop retrieval papers compare methods.
/// </summary>
internal static class AccuracyChart
{
    /// <summary>Width of the PNG in pixels.</summary>
    internal const int Width = 1200;

    /// <summary>Height of the PNG in pixels.</summary>
    internal const int Height = 600;

    /// <summary>One bar series: a catalog and its accuracy (0–1) per group.</summary>
    internal sealed record Series(string Name, IReadOnlyDictionary<string, double> AccuracyByGroup);

    /// <summary>
    /// Draws the chart and saves it as PNG. Groups are drawn in the order given; a series with no
    /// value for a group has no bar there.
    /// </summary>
    public static void Save(string path, string title, string valueLabel, IReadOnlyList<string> groups, IReadOnlyList<Series> series)
    {
        ArgumentOutOfRangeException.ThrowIfZero(groups.Count);
        ArgumentOutOfRangeException.ThrowIfZero(series.Count);
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var slot = series.Count + 1;
        var bars = new List<Bar>();
        for (var g = 0; g < groups.Count; g++)
        {
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].AccuracyByGroup.TryGetValue(groups[g], out var accuracy))
                {
                    bars.Add(new Bar
                    {
                        Position = (g * slot) + s,
                        Value = accuracy * 100,
                        FillColor = palette.GetColor(s),
                        LineWidth = 0,
                    });
                }
            }
        }

        plot.Add.Bars(bars);
        var ticks = groups.Select((_, g) => (g * slot) + ((series.Count - 1) / 2.0)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, [.. groups]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        for (var s = 0; s < series.Count; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = palette.GetColor(s) });
        }

        // Outside the axes, on the right: inside it would hide the bars of the last groups.
        plot.ShowLegend(Edge.Right);
        plot.Axes.SetLimits(-1, (groups.Count * slot) - 1, 0, 105);
        plot.YLabel(valueLabel);
        plot.Title(title);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>"top-20 accuracy (%)" for k = 20.</summary>
    public static string AccuracyLabel(int k) => string.Create(CultureInfo.InvariantCulture, $"top-{k} accuracy (%)");
}
