using System.Globalization;
using OutfitFinder.Lab.Training;
using Spectre.Console;

namespace OutfitFinder.Cli.Training;

/// <summary>Where <c>outfit train</c> reports embedding and epoch progress.</summary>
internal interface ITrainingProgress
{
    void Embedded(int done, int total);

    void Epoch(EpochReport report);
}

/// <summary>Two live Spectre.Console bars, for terminals: images embedded, then epochs with the latest losses.</summary>
internal sealed class LiveTrainingProgress(ProgressTask embedding, ProgressTask training) : ITrainingProgress
{
    public void Embedded(int done, int total)
    {
        embedding.MaxValue = Math.Max(total, 1);
        embedding.Value = total == 0 ? 1 : done;
        embedding.Description = total == 0
            ? "Base vectors all cached"
            : string.Create(CultureInfo.InvariantCulture, $"Embedding {done}/{total} images");
    }

    public void Epoch(EpochReport report)
    {
        training.MaxValue = report.Epochs;
        training.Value = report.Epoch;
        training.Description = Markup.Escape(TrainCommand.Describe(report));
    }
}

/// <summary>
/// Plain lines for logs and pipes, where a redrawn bar would be noise: one about every 10% of the
/// images embedded, and one per epoch ("epoch 3/20: training loss 0.4123, validation loss 0.4501").
/// </summary>
internal sealed class PlainTrainingProgress(IAnsiConsole console) : ITrainingProgress
{
    public void Embedded(int done, int total)
    {
        var step = Math.Max(1, (total + 9) / 10);
        if (total > 0 && (done % step == 0 || done == total) && done > 0)
        {
            console.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Embedded {done}/{total} images"));
        }
    }

    public void Epoch(EpochReport report) => console.Profile.Out.Writer.WriteLine(TrainCommand.Describe(report));
}
