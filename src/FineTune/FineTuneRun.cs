using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Localisation;
using TorchSharp;

namespace OutfitFinder.FineTune;

/// <summary>What <c>outfit-finetune</c> was asked to do.</summary>
internal sealed record FineTuneOptions(
    string PairsCsv,
    string ValidationCsv,
    string OutputDirectory,
    string CacheDirectory,
    int MaxProducts,
    LocalisationMode Crops,
    int Blocks,
    FineTuneSettings Training,
    OnnxEmbedderOptions Model);

/// <summary>What a run produced: the validation history, the written model folder, and how well the written graph matches TorchSharp.</summary>
internal sealed record FineTuneResult(IReadOnlyList<ValidationScore> History, ValidationScore Best, string ModelDirectory, double MinCosineOnnxVersusTorch, TimeSpan CacheTime, TimeSpan TrainTime);

/// <summary>
/// The whole fine-tune: cache the frozen part's output, train the last blocks, write their weights
/// into a copy of the ResNet18 graph (a model folder that <see cref="OnnxEmbedderOptions.ModelDirectory"/>
/// can point at), and check that ONNX Runtime on that graph gives the vectors TorchSharp gives.
/// </summary>
internal static class FineTuneRun
{
    /// <summary>Number of validation pictures the written graph is checked on.</summary>
    private const int CheckedPictures = 8;

    public static FineTuneResult Run(FineTuneOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        torch.set_num_threads(Math.Max(1, options.Model.IntraOpThreads == 0 ? Environment.ProcessorCount : options.Model.IntraOpThreads));
        var modelDirectory = Path.GetFullPath(options.Model.ModelDirectory, AppContext.BaseDirectory);
        var original = File.ReadAllBytes(Path.Combine(modelDirectory, ResNet18Embedder.ModelFile));
        var blocks = ResidualBlockGraph.LastBlocks(original, options.Blocks);
        var tensorName = blocks[0].Input;
        log($"training the last {blocks.Count} residual block(s) of ResNet18, from tensor {tensorName}");

        var training = PairProducts.Read(options.PairsCsv, options.MaxProducts, options.Training.Seed);
        var validation = PairProducts.Read(options.ValidationCsv, 0, options.Training.Seed);
        var crops = QueryRegions.PlanOf(options.Crops).Sum(level => level.Grid * level.Grid);
        var (trainJobs, trainProducts) = Jobs(training, crops);
        var (validationJobs, validationProducts) = Jobs(validation, crops);
        log(string.Create(CultureInfo.InvariantCulture,
            $"{training.Count} training and {validation.Count} validation products; {crops} crop(s) per consumer photo; {trainJobs.Count + validationJobs.Count} pictures to cache"));

        var started = Stopwatch.GetTimestamp();
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{tensorName}-{QueryRegions.Name(options.Crops)}-{options.MaxProducts}-{options.Training.Seed}");
        var allJobs = trainJobs.Concat(validationJobs).ToList();
        var logged = 0;
        var cache = BlockInputCache.LoadOrCompute(Path.Combine(options.CacheDirectory, prefix + ".blockinput"), allJobs, tensorName, options.Model, (done, total) =>
        {
            if (done - logged >= 500 || done == total)
            {
                logged = done;
                log(string.Create(CultureInfo.InvariantCulture, $"cached {done}/{total} ({Stopwatch.GetElapsedTime(started).TotalMinutes:F1} min)"));
            }
        });
        var cacheTime = Stopwatch.GetElapsedTime(started);
        validationProducts = [.. validationProducts.Select(p => new CachedProduct(p.ShopRow + trainJobs.Count, [.. p.ViewRows.Select(v => v.Select(r => r + trainJobs.Count).ToArray())]))];

        using var network = new LastBlocksNetwork(original, blocks, ResNet18Embedder.FeatureMapSide);
        var trainer = new FineTuneTrainer(network, cache, options.Training, log);
        started = Stopwatch.GetTimestamp();
        var (weights, history) = trainer.Train(trainProducts, validationProducts, cancellationToken);
        var trainTime = Stopwatch.GetElapsedTime(started);
        network.Load(weights);

        var output = Path.GetFullPath(options.OutputDirectory);
        WriteModelFolder(modelDirectory, output, OnnxModelProto.WithFloatInitializers(original, weights));
        var checkedRows = validationProducts.SelectMany(p => p.ViewRows.Select(v => v[0])).Take(CheckedPictures).ToArray();
        var cosine = CompareWithOnnx(trainer, checkedRows, [.. checkedRows.Select(r => allJobs[r])], output);
        log(string.Create(CultureInfo.InvariantCulture, $"written graph against TorchSharp on {checkedRows.Length} validation pictures: lowest cosine {cosine:F5}"));

        var best = history.MaxBy(h => h.Mrr)!;
        var result = new FineTuneResult(history, best, output, cosine, cacheTime, trainTime);
        File.WriteAllText(Path.Combine(output, "finetune.json"), JsonSerializer.Serialize(new
        {
            options.PairsCsv,
            options.ValidationCsv,
            options.MaxProducts,
            Crops = QueryRegions.Name(options.Crops),
            options.Blocks,
            options.Training,
            TrainedTensors = weights.Keys.Order(StringComparer.Ordinal),
            result.History,
            BestEpoch = best.Epoch,
            result.MinCosineOnnxVersusTorch,
            CacheMinutes = cacheTime.TotalMinutes,
            TrainMinutes = trainTime.TotalMinutes,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        return result;
    }

    /// <summary>Writes a model folder: the edited ResNet18 graph and a copy of the preprocessing model beside it.</summary>
    public static void WriteModelFolder(string sourceModelDirectory, string output, byte[] graph)
    {
        var modelFile = Path.Combine(output, ResNet18Embedder.ModelFile);
        Directory.CreateDirectory(Path.GetDirectoryName(modelFile)!);
        File.WriteAllBytes(modelFile, graph);
        var preprocess = Path.Combine(output, ResNet18Embedder.PreprocessFile);
        Directory.CreateDirectory(Path.GetDirectoryName(preprocess)!);
        File.Copy(Path.Combine(sourceModelDirectory, ResNet18Embedder.PreprocessFile), preprocess, overwrite: true);
    }

    /// <summary>
    /// Lowest cosine, over <paramref name="rows"/>, between TorchSharp's R-MAC vector (from the
    /// cached block input) and the R-MAC of ONNX Runtime's feature map on the written graph.
    /// </summary>
    public static double CompareWithOnnx(FineTuneTrainer trainer, int[] rows, IReadOnlyList<ImageJob> jobs, string modelFolder)
    {
        var torchVectors = trainer.EmbedRows(rows);
        using var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions { ModelDirectory = modelFolder }, NullLogger<ResNet18Embedder>.Instance, exposeFeatureMap: true);
        var pictures = BlockInputCache.Pictures(jobs);
        try
        {
            var inputs = new float[pictures.Count * embedder.InputLength];
            for (var i = 0; i < pictures.Count; i++)
            {
                embedder.Preprocess(pictures[i], inputs.AsSpan(i * embedder.InputLength, embedder.InputLength));
            }

            var maps = embedder.RunFeatureMap(inputs);
            var side = ResNet18Embedder.FeatureMapSide;
            var length = embedder.Dimension * side * side;
            var lowest = 1.0;
            for (var i = 0; i < pictures.Count; i++)
            {
                var vector = new float[embedder.Dimension];
                FeatureMapPooling.Pool(maps.AsSpan(i * length, length), embedder.Dimension, side, side, FeatureMapPoolingKind.Rmac, vector);
                lowest = Math.Min(lowest, System.Numerics.Tensors.TensorPrimitives.Dot(vector, torchVectors[i]));
            }

            return lowest;
        }
        finally
        {
            pictures.ForEach(p => p.Dispose());
        }
    }

    /// <summary>The pictures to cache for <paramref name="products"/> (shop photo, then each consumer photo's crops) and where each product's rows are.</summary>
    public static (List<ImageJob> Jobs, List<CachedProduct> Products) Jobs(IReadOnlyList<PairProduct> products, int crops)
    {
        var jobs = new List<ImageJob>();
        var cached = new List<CachedProduct>();
        foreach (var product in products)
        {
            var shopRow = jobs.Count;
            jobs.Add(new ImageJob(product.ShopImage, 0));
            var views = new List<int[]>();
            foreach (var consumer in product.ConsumerImages)
            {
                views.Add([.. Enumerable.Range(jobs.Count, crops)]);
                jobs.AddRange(Enumerable.Range(0, crops).Select(c => new ImageJob(consumer, c)));
            }

            cached.Add(new CachedProduct(shopRow, [.. views]));
        }

        return (jobs, cached);
    }
}
