using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Lab.Training;
using Spectre.Console;

namespace OutfitFinder.Cli.Training;

/// <summary>
/// <c>outfit train --pairs FILE --base resnet18 --out HEAD.head [--epochs N] [--seed S] [--dim D]
/// [--negatives N] [--lr X] [--validation FILE [--patience N]] [--localise MODE] [--crops whole|best]
/// [--start random|identity] [--cache DIR]</c>: learns a metric head from consumer/shop photo pairs,
/// in this process.
/// </summary>
/// <remarks>
/// With <c>--validation</c>, every epoch's head is scored by retrieval on the validation pairs as a
/// catalog would search them (each consumer photo against every validation shop photo, localised as
/// <c>--localise</c> says, max fusion over its regions), the best epoch's head is kept, and training
/// stops after <c>--patience</c> epochs without a better one.
/// </remarks>
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
            Description = "Held-out pairs file in the same format (e.g. val_pairs.csv of outfit pairs): its loss and its retrieval "
                + "(top-20, MRR@20, localised as --localise says) are reported per epoch, the best epoch's head is kept, and "
                + "training stops after --patience epochs without a better one.",
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var patience = Ranged("--patience", defaults.Patience, 0, 10_000,
            "With --validation: stop after this many epochs in a row without a better validation top-20 (ties: MRR@20); 0 runs every epoch. The best epoch's head is kept either way.", "N");
        var localise = new Option<string>("--localise")
        {
            Description = $"Regions of each consumer photo embedded, as a catalog's photo search does: {QueryRegions.Names}. "
                + "Validation fuses them by max as search does; --crops chooses which train.",
            HelpName = "MODE",
            DefaultValueFactory = _ => "none",
        };
        localise.Validators.Add(result =>
        {
            if (!QueryRegions.TryParse(result.GetValueOrDefault<string>(), out _, out var error))
            {
                result.AddError($"--{error}");
            }
        });
        var trainLocalise = new Option<string?>("--train-localise")
        {
            Description = $"Regions of each training consumer photo that --crops best chooses from ({QueryRegions.Names}). "
                + "Default: --localise. fast costs 5 model runs a photo instead of thorough's 14.",
            HelpName = "MODE",
        };
        trainLocalise.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !QueryRegions.TryParse(text, out _, out var error))
            {
                result.AddError($"--train-{error}");
            }
        });
        var crops = new Option<string>("--crops")
        {
            Description = "Which region of a training consumer photo pairs with its shop photo: whole (the photo) or best "
                + "(the --localise region nearest its product's shop photo in the base space, the crop max fusion would pick).",
            HelpName = "whole|best",
            DefaultValueFactory = _ => "whole",
        }.AcceptOnlyFromAmong("whole", "best");
        var start = new Option<string>("--start")
        {
            Description = "Starting head: random (a random projection) or identity (the base space itself; needs --dim equal to the base dimension).",
            HelpName = "random|identity",
            DefaultValueFactory = _ => "random",
        }.AcceptOnlyFromAmong("random", "identity");
        var loss = new Option<string>("--loss")
        {
            Description = "What training minimises: pairs (binary cross-entropy of each consumer/shop pair) or softmax (the own "
                + "shop photo against the photo's negatives, temperature --temperature: a ranking loss).",
            HelpName = "pairs|softmax",
            DefaultValueFactory = _ => "pairs",
        }.AcceptOnlyFromAmong("pairs", "softmax");
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature (--loss softmax).", HelpName = "T", DefaultValueFactory = _ => defaults.Temperature };
        var cache = new Option<DirectoryInfo?>("--cache")
        {
            Description = "Folder of base-vector caches shared by runs (MODEL.vectors); one ResNet18 run fills the resnet18, "
                + "resnet18-gem and resnet18-rmac caches. Default: HEAD.vectors beside the head, for the base model only.",
            HelpName = "DIR",
        };

        var command = new Command("train", "Learn a metric head (Siamese projection) from consumer/shop photo pairs, for catalogs of model BASE+HEAD.")
        {
            pairs, baseModel, output, epochs, seed, dimension, negatives, learningRate, validation, patience, localise, trainLocalise, crops, start, loss, temperature, cache,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            QueryRegions.TryParse(parseResult.GetValue(localise), out var localisation, out _);
            var trainLocalisation = QueryRegions.TryParse(parseResult.GetValue(trainLocalise), out var parsed, out _) ? parsed : localisation;
            var request = new TrainRequest(
                parseResult.GetRequiredValue(pairs).FullName,
                parseResult.GetRequiredValue(baseModel),
                parseResult.GetRequiredValue(output).FullName,
                parseResult.GetValue(validation)?.FullName,
                localisation,
                trainLocalisation,
                parseResult.GetValue(crops) == "best",
                parseResult.GetValue(cache)?.FullName,
                new SiameseTrainingOptions
                {
                    Epochs = parseResult.GetValue(epochs),
                    Seed = parseResult.GetValue(seed),
                    OutputDimension = parseResult.GetValue(dimension),
                    NegativesPerPositive = parseResult.GetValue(negatives),
                    LearningRate = parseResult.GetValue(learningRate),
                    Patience = parseResult.GetValue(patience),
                    IdentityStart = parseResult.GetValue(start) == "identity",
                    Loss = parseResult.GetValue(loss) == "softmax" ? TrainingLoss.Softmax : TrainingLoss.Pairs,
                    Temperature = parseResult.GetValue(temperature),
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
        + (report.ValidationLoss is { } v ? string.Create(CultureInfo.InvariantCulture, $", validation loss {v:0.0000}") : "")
        + (report.Retrieval is { } r ? ", validation " + Describe(r) : "");

    internal static string Describe(RetrievalScore score) =>
        string.Create(CultureInfo.InvariantCulture, $"top-1 {score.TopOne:P1}, top-20 {score.TopTwenty:P1}, MRR@20 {score.MeanReciprocalRank:0.000}");

    /// <summary>Where the loss chart of a head goes: <c>shoes.head</c> → <c>shoes.loss.png</c>.</summary>
    internal static string ChartPath(string headPath) => Path.ChangeExtension(headPath, ".loss.png");

    /// <summary>Where the base vectors of a head's images are cached: <c>shoes.head</c> → <c>shoes.vectors</c>.</summary>
    internal static string CachePath(string headPath) => Path.ChangeExtension(headPath, ".vectors");

    private static int Run(CliServices services, TrainRequest request, CancellationToken cancellationToken)
    {
        var trainingRows = PairsReader.Read(request.PairsPath);
        var validationRows = request.ValidationPath is null ? [] : PairsReader.Read(request.ValidationPath);
        using var network = BaseNetwork.Create(request.BaseModel);
        if (request.Options.IdentityStart && request.Options.OutputDimension != network.Dimension)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--start identity needs --dim {network.Dimension}, the dimension of {network.Model}."));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(request.OutputPath)!);
        var caches = OpenCaches(request, network);
        // Validation first: a long first run that is stopped still leaves what early stopping needs in the cache.
        var usable = validationRows.Concat(trainingRows).Where(r => r.Problems.Count == 0).ToList();
        var items = usable.Select(r => new ImageRegions(r.ShopImage, LocalisationMode.None))
            .Concat(validationRows.Where(r => r.Problems.Count == 0).Select(r => new ImageRegions(r.ConsumerImage, request.Localise)))
            .Concat(trainingRows.Where(r => r.Problems.Count == 0).Select(r => new ImageRegions(r.ConsumerImage, request.TrainLocalise)))
            .Distinct().ToList();
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);

        PairSet? training = null;
        PairSet? validation = null;
        RegionRetrieval? retrieval = null;
        TrainingResult? result = null;
        void Work(ITrainingProgress progress)
        {
            var vectors = BaseEmbedding.Embed(network, items, caches, failures, progress.Embedded, cancellationToken);
            foreach (var cache in caches)
            {
                cache?.Save();
            }

            var chosen = ChooseRegions(trainingRows.Where(r => r.Problems.Count == 0).ToList(), vectors, request.TrainLocalise, request.BestCrop, network.Dimension);
            foreach (var (image, vector) in ChooseRegions(validationRows.Where(r => r.Problems.Count == 0).ToList(), vectors, request.Localise, request.BestCrop, network.Dimension))
            {
                chosen.TryAdd(image, vector);
            }

            var products = new Dictionary<string, int>(StringComparer.Ordinal);
            training = Build(trainingRows, chosen, failures, products, network.Dimension);
            validation = Build(validationRows, chosen, failures, products, network.Dimension);
            retrieval = validation is null ? null : Retrieval(validationRows, vectors, products, request.Localise, network.Dimension);
            if (training is null || training.ProductCount < 2)
            {
                return;
            }

            result = SiameseTrainer.Train(network.Model, training, validation, retrieval, request.Options, progress.Epoch, cancellationToken);
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
        LossChart.Save(result.Epochs, $"{Path.GetFileNameWithoutExtension(request.OutputPath)}: {network.Model} → {result.Head.OutputDimension}", chart);
        WriteSummary(services.Out, request, result, training!, validation, retrieval, chart);
        return ExitCodes.Success;
    }

    /// <summary>One cache per space the network gives: all of them in <c>--cache</c>, else the base model's beside the head.</summary>
    private static BaseVectorCache?[] OpenCaches(TrainRequest request, BaseNetwork network)
    {
        if (request.CacheFolder is { } folder)
        {
            Directory.CreateDirectory(folder);
            return [.. network.Models.Select(model => BaseVectorCache.Open(Path.Combine(folder, model + ".vectors"), model, network.Dimension))];
        }

        return [BaseVectorCache.Open(CachePath(request.OutputPath), network.Model, network.Dimension), .. network.Models.Skip(1).Select(_ => (BaseVectorCache?)null)];
    }

    /// <summary>
    /// The vector each image trains with, by path: a shop photo's whole-photo vector; a consumer
    /// photo's first region (the whole photo) or, with <c>--crops best</c>, the region most similar to
    /// a shop photo of its product: the crop that max fusion ranks the right product by.
    /// </summary>
    private static Dictionary<string, float[]> ChooseRegions(
        IReadOnlyList<TrainingPair> rows, Dictionary<ImageRegions, float[]> vectors, LocalisationMode localise, bool bestCrop, int dimension)
    {
        var chosen = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var group in rows.GroupBy(r => r.ConsumerImage, StringComparer.Ordinal))
        {
            if (!vectors.TryGetValue(new ImageRegions(group.Key, localise), out var regions))
            {
                continue;
            }

            var shops = group.Select(r => vectors.GetValueOrDefault(new ImageRegions(r.ShopImage, LocalisationMode.None))).OfType<float[]>().ToList();
            var best = 0;
            if (bestCrop && shops.Count > 0)
            {
                var bestScore = float.NegativeInfinity;
                for (var r = 0; r < regions.Length / dimension; r++)
                {
                    var region = regions.AsSpan(r * dimension, dimension);
                    var score = float.NegativeInfinity;
                    foreach (var shop in shops)
                    {
                        score = Math.Max(score, TensorPrimitives.CosineSimilarity(region, shop));
                    }

                    if (score > bestScore)
                    {
                        (best, bestScore) = (r, score);
                    }
                }
            }

            chosen[group.Key] = regions.AsSpan(best * dimension, dimension).ToArray();
        }

        foreach (var row in rows)
        {
            if (vectors.TryGetValue(new ImageRegions(row.ShopImage, LocalisationMode.None), out var shop))
            {
                chosen[row.ShopImage] = shop;
            }
        }

        return chosen;
    }

    /// <summary>The validation pairs as a catalog search: every validation consumer photo's regions against every validation shop photo.</summary>
    private static RegionRetrieval? Retrieval(
        IReadOnlyList<TrainingPair> rows, Dictionary<ImageRegions, float[]> vectors, Dictionary<string, int> products, LocalisationMode localise, int dimension)
    {
        var usable = rows.Where(r => r.Problems.Count == 0 && products.ContainsKey(r.ProductId)).ToList();
        var shops = usable.DistinctBy(r => r.ShopImage, StringComparer.Ordinal)
            .Where(r => vectors.ContainsKey(new ImageRegions(r.ShopImage, LocalisationMode.None))).ToList();
        var galleryProducts = shops.Select(r => products[r.ProductId]).ToHashSet();
        var queries = usable.DistinctBy(r => r.ConsumerImage, StringComparer.Ordinal)
            .Where(r => galleryProducts.Contains(products[r.ProductId]) && vectors.ContainsKey(new ImageRegions(r.ConsumerImage, localise))).ToList();
        if (shops.Count == 0 || queries.Count == 0)
        {
            return null;
        }

        return new RegionRetrieval(
            dimension,
            shops.SelectMany(r => vectors[new ImageRegions(r.ShopImage, LocalisationMode.None)]).ToArray(),
            [.. shops.Select(r => products[r.ProductId])],
            [.. queries.Select(r => vectors[new ImageRegions(r.ConsumerImage, localise)])],
            [.. queries.Select(r => products[r.ProductId])]);
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

    private static void WriteSummary(
        IAnsiConsole console, TrainRequest request, TrainingResult result, PairSet training, PairSet? validation, RegionRetrieval? retrieval, string chart)
    {
        var culture = CultureInfo.InvariantCulture;
        var writer = console.Profile.Out.Writer;
        var last = result.Epochs[^1];
        writer.WriteLine(string.Create(culture,
            $"Trained on {training.PositiveCount} pairs ({training.ConsumerCount} consumer, {training.ShopCount} shop photos); {Describe(last)}."));
        if (retrieval is not null)
        {
            var kept = result.Epochs.FirstOrDefault(e => e.Epoch == result.BestEpoch)?.Retrieval ?? result.StartRetrieval!;
            var stopped = last.Epoch < last.Epochs ? string.Create(culture, $"stopped after epoch {last.Epoch} ({request.Options.Patience} without a better one)") : "ran every epoch";
            writer.WriteLine(string.Create(culture,
                $"Validation retrieval ({retrieval.QueryCount} queries, localise {QueryRegions.Name(request.Localise)}, max fusion): "
                + $"{result.Head.BaseModel} alone {Describe(retrieval.Evaluate())}; kept epoch {result.BestEpoch}: {Describe(kept)}; {stopped}."));
        }

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

    private sealed record TrainRequest(
        string PairsPath, string BaseModel, string OutputPath, string? ValidationPath, LocalisationMode Localise, LocalisationMode TrainLocalise, bool BestCrop, string? CacheFolder,
        SiameseTrainingOptions Options);
}
