using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Lab.Training;

namespace OutfitFinder.Lab.Tests.Training;

public sealed class EarlyStoppingTests
{
    private static readonly SiameseTrainingOptions Options = new() { OutputDimension = 8, Epochs = 200, LearningRate = 0.05f, BatchSize = 32, Seed = 4, Patience = 3 };

    [Fact]
    public void Train_StopsAfterPatienceEpochsWithoutProgress_AndKeepsTheBestEpochsHead()
    {
        var training = SyntheticPairs.Make(products: 40, consumersPerProduct: 4, seed: 1);
        var retrieval = AsRetrieval(SyntheticPairs.Make(products: 40, consumersPerProduct: 2, seed: 2));

        var result = SiameseTrainer.Train("synthetic", training, null, retrieval, Options);

        Assert.True(result.Epochs.Count < Options.Epochs, $"ran all {result.Epochs.Count} epochs");
        var best = result.Epochs.Aggregate((a, b) => b.Retrieval!.IsBetterThan(a.Retrieval) ? b : a);
        Assert.Equal(best.Epoch, result.BestEpoch);
        Assert.Equal(result.BestEpoch + Options.Patience, result.Epochs[^1].Epoch);
        Assert.Equal(best.Retrieval, retrieval.Evaluate(result.Head));

        // The same seed replays the same epochs: training exactly to the best epoch gives the kept head, byte for byte.
        var replay = SiameseTrainer.Train("synthetic", training, null, Options with { Epochs = result.BestEpoch }).Head;
        Assert.Equal(HeadFile.Write(replay), HeadFile.Write(result.Head));
    }

    [Fact]
    public void Train_WithAnIdentityStart_ScoresEpochZeroAsTheBaseSpace()
    {
        var training = SyntheticPairs.Make(products: 20, consumersPerProduct: 2, seed: 1);
        var retrieval = AsRetrieval(SyntheticPairs.Make(products: 20, consumersPerProduct: 2, seed: 2));
        var options = Options with { OutputDimension = SyntheticPairs.Dimension, IdentityStart = true, Epochs = 3 };

        var result = SiameseTrainer.Train("synthetic", training, null, retrieval, options);

        Assert.Equal(retrieval.Evaluate(), result.StartRetrieval);
        Assert.True(retrieval.Evaluate(result.Head).TopOne > retrieval.Evaluate().TopOne, "the head does not beat the base space it started from");
    }

    [Fact]
    public void Train_RefusesAnIdentityStart_ToAnotherDimension()
    {
        var training = SyntheticPairs.Make(products: 4, consumersPerProduct: 1, seed: 1);

        var error = Assert.Throws<ArgumentException>(() => SiameseTrainer.Train("synthetic", training, null, Options with { IdentityStart = true }));

        Assert.Contains("identity start", error.Message);
    }

    [Fact]
    public void Evaluate_RanksAProductByItsBestRegion_AsMaxFusionDoes()
    {
        // Gallery: product 10 points along x, product 20 along y, product 30 along (1, 1).
        float[] gallery = [1, 0, 0, 1, 0.7f, 0.7f];
        int[] products = [10, 20, 30];

        // The whole photo looks most like product 30; its second region is product 20 itself.
        var wholeOnly = new RegionRetrieval(2, gallery, products, [[0.6f, 0.8f]], [20]);
        var withRegion = new RegionRetrieval(2, gallery, products, [[0.6f, 0.8f, 0, 1]], [20]);

        Assert.Equal(new RetrievalScore(0, 1, 0.5), wholeOnly.Evaluate());
        Assert.Equal(new RetrievalScore(1, 1, 1), withRegion.Evaluate());
    }

    [Fact]
    public void Evaluate_CountsAProductPastRankTwentyAsAMiss()
    {
        // 25 products on a circle; the query is closest to product 0 and farthest from product 24, its own.
        var gallery = Enumerable.Range(0, 25).SelectMany(i => new[] { MathF.Cos(i * 0.12f), MathF.Sin(i * 0.12f) }).ToArray();

        var score = new RegionRetrieval(2, gallery, [.. Enumerable.Range(0, 25)], [[1, 0]], [24]).Evaluate();

        Assert.Equal(new RetrievalScore(0, 0, 0), score);
    }

    private static RegionRetrieval AsRetrieval(PairSet set) =>
        new(set.Dimension, set.Shops, set.ShopProducts, [.. Enumerable.Range(0, set.ConsumerCount).Select(c => set.Consumer(c).ToArray())], set.ConsumerProducts);
}
