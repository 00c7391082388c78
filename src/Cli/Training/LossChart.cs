using OutfitFinder.Lab.Training;
using ScottPlot;

namespace OutfitFinder.Cli.Training;

/// <summary>Draws the loss curve of a training run as a PNG: training loss per epoch and, when given, validation loss.</summary>
internal static class LossChart
{
    public const int Width = 800;
    public const int Height = 500;

    public static void Save(IReadOnlyList<EpochReport> epochs, string title, string path)
    {
        var plot = new Plot();
        var xs = epochs.Select(e => (double)e.Epoch).ToArray();
        var training = plot.Add.Scatter(xs, epochs.Select(e => e.TrainingLoss).ToArray());
        training.LegendText = "training";
        if (epochs.All(e => e.ValidationLoss is not null))
        {
            var validation = plot.Add.Scatter(xs, epochs.Select(e => e.ValidationLoss!.Value).ToArray());
            validation.LegendText = "validation";
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("binary cross-entropy");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend();
        plot.SavePng(path, Width, Height);
    }
}
