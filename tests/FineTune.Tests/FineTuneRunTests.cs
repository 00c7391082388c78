using System.Globalization;
using System.Text;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Localisation;
using OutfitFinder.FineTune;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.FineTune.Tests;

/// <summary>A tiny fine-tune on generated garments: the whole path from photos to a written ONNX graph.</summary>
public sealed class FineTuneRunTests : IDisposable
{
    private const int Products = 6;
    private readonly TempFolder _folder = new("outfitfinder-finetune-");

    [Fact]
    public void Run_WritesGraphWhoseVectorsMatchTorchSharp_WhenTrainedOnGeneratedPhotos()
    {
        var pairs = WritePairs();
        var output = Path.Combine(_folder.Path, "model");

        var result = FineTuneRun.Run(Options(pairs, output), _ => { }, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(output, ResNet18Embedder.ModelFile)));
        Assert.True(File.Exists(Path.Combine(output, ResNet18Embedder.PreprocessFile)));
        Assert.True(File.Exists(Path.Combine(output, "finetune.json")));
        Assert.Equal(3, result.History.Count);
        Assert.All(result.History.Skip(1), score => Assert.True(double.IsFinite(score.Loss) && score.Loss > 0));
        // ONNX Runtime on the written graph (whole network, fp32) against TorchSharp on the cached
        // fp16 input of the last block: the same vectors up to fp16 rounding.
        Assert.True(result.MinCosineOnnxVersusTorch > 0.999, $"lowest cosine {result.MinCosineOnnxVersusTorch}");
    }

    [Fact]
    public void Train_ChangesTheLastBlocksWeights_WhenGivenPairs()
    {
        var pairs = WritePairs();
        var options = new OnnxEmbedderOptions();
        var original = File.ReadAllBytes(Path.Combine(Path.GetFullPath(options.ModelDirectory, AppContext.BaseDirectory), ResNet18Embedder.ModelFile));
        var blocks = ResidualBlockGraph.LastBlocks(original, 1);
        var (jobs, products) = FineTuneRun.Jobs(PairProducts.Read(pairs, 0, 1), 1);
        var cache = BlockInputCache.Compute(jobs, blocks[0].Input, options, (_, _) => { });
        using var network = new LastBlocksNetwork(original, blocks, ResNet18Embedder.FeatureMapSide);
        var before = network.Weights();

        new FineTuneTrainer(network, cache, Settings(epochs: 1), _ => { }).Train(products, products, CancellationToken.None);

        var after = network.Weights();
        Assert.Equal(blocks[0].TrainedInitializers().Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        var weight = blocks[0].Convolution2.Weight;
        Assert.NotEqual(before[weight], after[weight]);
        Assert.Equal(OnnxModelProto.ReadFloatInitializer(original, weight).Values, before[weight]);
    }

    [Fact]
    public void LastBlocks_FindsTheShippedResNet18sLastStage()
    {
        var options = new OnnxEmbedderOptions();
        var model = File.ReadAllBytes(Path.Combine(Path.GetFullPath(options.ModelDirectory, AppContext.BaseDirectory), ResNet18Embedder.ModelFile));

        var blocks = ResidualBlockGraph.LastBlocks(model, 3);

        // The CNTK export's last stage: a first block that halves the map (stride 2, 1×1 shortcut)
        // and two identity blocks, all 512 channels wide.
        Assert.NotNull(blocks[0].Shortcut);
        Assert.Equal(2, blocks[0].Convolution1.Stride);
        Assert.Null(blocks[1].Shortcut);
        Assert.Null(blocks[2].Shortcut);
        Assert.All(blocks, block => Assert.Equal([512L, 512, 3, 3], block.Convolution2.Shape));
        Assert.Equal(blocks[0].Output, blocks[1].Input);
    }

    public void Dispose() => _folder.Dispose();

    private static FineTuneSettings Settings(int epochs) =>
        new(epochs, Patience: epochs, BatchProducts: Products, LearningRate: 1e-3, WeightDecay: 0, Temperature: 0.05, Seed: 1);

    private FineTuneOptions Options(string pairs, string output) => new(
        pairs, pairs, output, Path.Combine(_folder.Path, "cache"), 0, LocalisationMode.None, 1, Settings(epochs: 2), new OnnxEmbedderOptions());

    /// <summary>Writes generated shop photos and two consumer views of each, and a pairs file naming them.</summary>
    private string WritePairs()
    {
        var csv = new StringBuilder("product_id,category,shop_image,consumer_image\n");
        foreach (var (id, spec) in GarmentCatalog.Generate(Products, seed: 7))
        {
            using var shop = GarmentImages.Draw(spec);
            _folder.WriteBytes($"shop/{id}.jpg", GarmentImages.Encode(shop));
            for (var view = 0; view < 2; view++)
            {
                using var consumer = GarmentImages.ConsumerView(shop, seed: view + 1);
                _folder.WriteBytes($"consumer/{id}-{view}.jpg", GarmentImages.Encode(consumer));
                csv.Append(CultureInfo.InvariantCulture, $"{id},{spec.Category},shop/{id}.jpg,consumer/{id}-{view}.jpg\n");
            }
        }

        return _folder.WriteText("pairs.csv", csv.ToString());
    }
}
