using System.CommandLine;
using System.Globalization;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Lab.Training;
using Spectre.Console;

namespace OutfitFinder.Cli.Training;

/// <summary>
/// <c>outfit train --pairs FILE --base resnet18 --out HEAD.head [--epochs N] [--seed S] [--dim D]
/// [--negatives N] [--lr X] [--validation FILE]</c>: learns a metric head from consumer/shop
/// photo pairs, in this process.
/// </summary>
internal static class TrainCommand
{
    /// <summary>How many bad rows are listed; the count always covers all of them.</summary>
    internal const int ListedProblems = 10;

    public static Command Create(CliServices services)
    {
        var defaults = new SiameseTrainingOptions();
        var pairs = new Option<FileInfo>("--pairs")
        {
            Description = "CSV with a header product_id,category,shop_image,consumer_image; image paths relative to the file's folder.",
            Required = true,
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var baseModel = new Option<string>("--base")
        {
            Description = $"Base model whose vectors the head projects: {string.Join(" or ", BaseEmbedding.Models)}.",
            HelpName = "MODEL",
            DefaultValueFactory = _ => ResNet18Embedder.ModelName,
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "Head file to write, e.g. heads/shoes.head; the loss chart goes beside it as shoes.loss.png and the base vectors cache as shoes.vectors.",
            Required = true,
            HelpName = "HEAD.head",
        };
        var epochs = Ranged("--epochs", defaults.Epochs, 1, 10_000, "Passes over the pairs.", "N");
        var seed = new Option<int>("--seed") { Description = "Seeds weights, negatives and shuffling: the same seed and pairs give the same head.", HelpName = "S", DefaultValueFactory = _ => defaults.Seed };
        var dimension = Ranged("--dim", defaults.OutputDimension, 1, HeadFile.MaxDimension, "Length of the head's output vectors.", "D");
        var negatives = Ranged("--negatives", defaults.NegativesPerPositive, 1, 64,
            "Negative pairs per positive: half the nearest other-product shop photos in the base space, half random.", "N");
        var learningRate = new Option<float>("--lr") { Description = "Adam step size.", HelpName = "X", DefaultValueFactory = _ => defaults.LearningRate };
        learningRate.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<float>() is var value && !(float.IsFinite(value) && value > 0 && value <= 1))
            {
                result.AddError("--lr must be above 0 and at most 1.");
            }
        });
        var validation = new Option<FileInfo>("--validation")
        {
            Description = "Held-out pairs file in the same format: its loss is reported per epoch and its retrieval accuracy at the end.",
            HelpName = "FILE",
        }.AcceptExistingOnly();

        var command = new Command("train", "Learn a metric head (Siamese projection) from consumer/shop photo pairs, for catalogs of model BASE+HEAD.")
        {
            pairs, baseModel, output, epochs, seed, dimension, negatives, learningRate, validation,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var request = new TrainRequest(
                parseResult.GetRequiredValue(pairs).FullName,
                parseResult.GetRequiredValue(baseModel),
                parseResult.GetRequiredValue(output).FullName,
                parseResult.GetValue(validation)?.FullName,
                new SiameseTrainingOptions
                {
                    Epochs = parseResult.GetValue(epochs),
                    Seed = parseResult.GetValue(seed),
                    OutputDimension = parseResult.GetValue(dimension),
                    NegativesPerPositive = parseResult.GetValue(negatives),
                    LearningRate = parseResult.GetValue(learningRate),
                });
            try
            {
                return Task.FromResult(Run(services, request, cancellationToken));
            }
            catch (Exception ex) when (ex is PairsFileException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                services.Error.WriteError(ex.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                services.Error.WriteError("Cancelled.");
                return Task.FromResult(ExitCodes.Cancelled);
            }

            return Task.FromResult(ExitCodes.Failure);
        });
        return command;
    }

    internal static string Describe(EpochReport report) =>
        string.Create(CultureInfo.InvariantCulture, $"epoch {report.Epoch}/{report.Epochs}: training loss {report.TrainingLoss:0.0000}")
        + (report.ValidationLoss is { } v ? string.Create(CultureInfo.InvariantCulture, $", validation loss {v:0.0000}") : "");

    /// <summary>Where the loss chart of a head goes: <c>shoes.head</c> → <c>shoes.loss.png</c>.</summary>
    internal static string ChartPath(string headPath) => Path.ChangeExtension(headPath, ".loss.png");

    /// <summary>Where the base vectors of a head's images are cached: <c>shoes.head</c> → <c>shoes.vectors</c>.</summary>
    internal static string CachePath(string headPath) => Path.ChangeExtension(headPath, ".vectors");

    private static int Run(CliServices services, TrainRequest request, CancellationToken cancellationToken)
    {
        var trainingRows = PairsReader.Read(request.PairsPath);
        var validationRows = request.ValidationPath is null ? [] : PairsReader.Read(request.ValidationPath);
        using var embedder = BaseEmbedding.Create(request.BaseModel);
        Directory.CreateDirectory(Path.GetDirectoryName(request.OutputPath)!);
        var cache = BaseVectorCache.Open(CachePath(request.OutputPath), embedder.Model, embedder.Dimension);
        var images = trainingRows.Concat(validationRows).Where(r => r.Problems.Count == 0)
            .SelectMany(r => new[] { r.ShopImage, r.ConsumerImage }).Distinct(StringComparer.Ordinal).ToList();
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);

        PairSet? training = null;
        PairSet? validation = null;
        TrainingResult? result = null;
        void Work(ITrainingProgress progress)
        {
            var vectors = BaseEmbedding.Embed(embedder, images, cache, failures, progress.Embedded, cancellationToken);
            cache.Save();
            var products = new Dictionary<string, int>(StringComparer.Ordinal);
            training = Build(trainingRows, vectors, failures, products, embedder.Dimension);
            validation = Build(validationRows, vectors, failures, products, embedder.Dimension);
            if (training is null || training.ProductCount < 2)
            {
                return;
            }

            result = SiameseTrainer.Train(embedder.Model, training, validation, request.Options, progress.Epoch, cancellationToken);
        }

        if (services.Out.Profile.Out.IsTerminal && services.Out.Profile.Capabilities.Interactive)
        {
            services.Out.Progress().Start(context =>
                Work(new LiveTrainingProgress(context.AddTask("Embedding images"), context.AddTask("Training", maxValue: request.Options.Epochs))));
        }
        else
        {
            Work(new PlainTrainingProgress(services.Out));
        }

        ListProblems(services.Error, "pairs", trainingRows);
        ListProblems(services.Error, "validation", validationRows);
        if (result is null)
        {
            services.Error.WriteError(training is null
                ? $"No pair in {request.PairsPath} could be used."
                : "Training needs pairs of at least two products: the negatives are other products' shop photos.");
            return ExitCodes.Failure;
        }

        HeadFile.Save(result.Head, request.OutputPath);
        var chart = ChartPath(request.OutputPath);
        LossChart.Save(result.Epochs, $"{Path.GetFileNameWithoutExtension(request.OutputPath)}: {embedder.Model} → {result.Head.OutputDimension}", chart);
        WriteSummary(services.Out, request, result, training!, validation, chart);
        return ExitCodes.Success;
    }

    private static PairSet? Build(
        IReadOnlyList<TrainingPair> rows, Dictionary<string, float[]> vectors, Dictionary<string, string> failures, Dictionary<string, int> products, int dimension)
    {
        foreach (var row in rows.Where(r => r.Problems.Count == 0))
        {
            if (failures.TryGetValue(row.ShopImage, out var shopFailure))
            {
                row.Problems.Add($"shop image cannot be used: {shopFailure}");
            }

            if (failures.TryGetValue(row.ConsumerImage, out var consumerFailure))
            {
                row.Problems.Add($"consumer image cannot be used: {consumerFailure}");
            }
        }

        return TrainingSetBuilder.Build(rows.Where(r => r.Problems.Count == 0), vectors, products, dimension);
    }

    private static void ListProblems(IAnsiConsole console, string file, IReadOnlyList<TrainingPair> rows)
    {
        var bad = rows.Where(r => r.Problems.Count > 0).ToList();
        foreach (var row in bad.Take(ListedProblems))
        {
            console.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"{file} row {row.RowNumber} skipped: {string.Join("; ", row.Problems)}"));
        }

        if (bad.Count > ListedProblems)
        {
            console.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"… and {bad.Count - ListedProblems} more bad {file} rows."));
        }
    }

    private static void WriteSummary(IAnsiConsole console, TrainRequest request, TrainingResult result, PairSet training, PairSet? validation, string chart)
    {
        var culture = CultureInfo.InvariantCulture;
        var writer = console.Profile.Out.Writer;
        var last = result.Epochs[^1];
        writer.WriteLine(string.Create(culture,
            $"Trained on {training.PositiveCount} pairs ({training.ConsumerCount} consumer, {training.ShopCount} shop photos); {Describe(last)}."));
        var (name, set) = validation is null ? ("training", training) : ("validation", validation);
        var before = PairRanking.Evaluate(set);
        var after = PairRanking.Evaluate(set, result.Head);
        writer.WriteLine(string.Create(culture,
            $"Top-1 on the {name} pairs: {before.TopOne:P1} with {result.Head.BaseModel} alone, {after.TopOne:P1} with the head "
            + $"(MRR {before.MeanReciprocalRank:0.000} → {after.MeanReciprocalRank:0.000})."));
        var head = Path.GetFileNameWithoutExtension(request.OutputPath);
        writer.WriteLine($"Wrote {request.OutputPath} and {chart}.");
        if (HeadModelName.IsValidHeadName(head) && request.OutputPath.EndsWith(HeadFile.Extension, StringComparison.Ordinal))
        {
            writer.WriteLine($"Put the head in the cluster's Extraction:HeadsFolder and create catalogs with model \"{HeadModelName.Compose(result.Head.BaseModel, head)}\".");
        }
        else
        {
            console.WriteWarning($"A cluster serves heads named NAME{HeadFile.Extension} (NAME of letters, digits, '-', '_', '.'); rename the file before putting it in Extraction:HeadsFolder.");
        }
    }

    private static Option<int> Ranged(string name, int defaultValue, int min, int max, string description, string helpName)
    {
        var option = new Option<int>(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value && (value < min || value > max))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min} and {max}."));
            }
        });
        return option;
    }

    private sealed record TrainRequest(string PairsPath, string BaseModel, string OutputPath, string? ValidationPath, SiameseTrainingOptions Options);
}
