using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Lab.Training;
using Xunit.Abstractions;

namespace OutfitFinder.Lab.Tests.Training;

public sealed class SiameseTrainerTests(ITestOutputHelper output)
{
    private static readonly SiameseTrainingOptions Options = new() { OutputDimension = 8, Epochs = 30, LearningRate = 0.01f, BatchSize = 32, Seed = 4 };

    [Fact]
    public void Train_LowersTrainingAndValidationLoss_OnASeparableProblem()
    {
        var training = SyntheticPairs.Make(products: 40, consumersPerProduct: 4, seed: 1);
        var validation = SyntheticPairs.Make(products: 40, consumersPerProduct: 2, seed: 2);
        var seen = new List<EpochReport>();

        var result = SiameseTrainer.Train("synthetic", training, validation, Options, seen.Add);

        Assert.Equal(Options.Epochs, result.Epochs.Count);
        Assert.Equal(result.Epochs, seen);
        Assert.Equal(Enumerable.Range(1, Options.Epochs), result.Epochs.Select(e => e.Epoch));
        var first = result.Epochs[0];
        var last = result.Epochs[^1];
        Assert.True(last.TrainingLoss < 0.6 * first.TrainingLoss, $"training loss {first.TrainingLoss} → {last.TrainingLoss}");
        Assert.True(last.ValidationLoss < 0.6 * first.ValidationLoss, $"validation loss {first.ValidationLoss} → {last.ValidationLoss}");
    }

    [Fact]
    public void Train_ImprovesTopOneRetrievalOfHeldOutConsumerPhotos_OverTheBaseSpace()
    {
        var training = SyntheticPairs.Make(products: 40, consumersPerProduct: 4, seed: 1);
        var heldOut = SyntheticPairs.Make(products: 40, consumersPerProduct: 2, seed: 2);

        var head = SiameseTrainer.Train("synthetic", training, null, Options).Head;
        var before = PairRanking.Evaluate(heldOut);
        var after = PairRanking.Evaluate(heldOut, head);
        output.WriteLine($"held-out top-1 {before.TopOne:P1} → {after.TopOne:P1}, MRR {before.MeanReciprocalRank:0.000} → {after.MeanReciprocalRank:0.000}");

        Assert.True(after.TopOne >= before.TopOne + 0.3, $"top-1 {before.TopOne:P0} → {after.TopOne:P0}");
        Assert.True(after.TopOne >= 0.8, $"top-1 after training is {after.TopOne:P0}");
        Assert.True(after.MeanReciprocalRank > before.MeanReciprocalRank);
    }

    [Fact]
    public void Train_GivesTheSameHeadBytes_ForTheSameSeed_AndOtherBytesForAnother()
    {
        var training = SyntheticPairs.Make(products: 12, consumersPerProduct: 2, seed: 1);
        var options = Options with { Epochs = 3 };

        var first = HeadFile.Write(SiameseTrainer.Train("synthetic", training, null, options).Head);
        var second = HeadFile.Write(SiameseTrainer.Train("synthetic", training, null, options).Head);
        var otherSeed = HeadFile.Write(SiameseTrainer.Train("synthetic", training, null, options with { Seed = 5 }).Head);

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void Train_Refuses_WhenEveryShopPhotoShowsOneProduct()
    {
        var single = new PairSet(2, [1, 0, 0.9f, 0.1f], [1, 0.1f], [7], [(0, 0), (1, 0)]);

        var error = Assert.Throws<ArgumentException>(() => SiameseTrainer.Train("synthetic", single, null, Options));

        Assert.Contains("at least two products", error.Message);
    }

    [Theory]
    [InlineData(0, 8, 0.001f, "OutputDimension")]
    [InlineData(8, 0, 0.001f, "NegativesPerPositive")]
    [InlineData(8, 8, 0f, "LearningRate")]
    public void Validate_NamesTheSetting_WhenOutOfRange(int dimension, int negatives, float learningRate, string setting)
    {
        var options = new SiameseTrainingOptions { OutputDimension = dimension, NegativesPerPositive = negatives, LearningRate = learningRate };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith(setting, error.Message);
    }

    [Fact]
    public void NegativeMining_Nearest_PicksTheMostSimilarShopPhotosOfOtherProducts()
    {
        // Consumer 0 shows product 0; shop rows: product 0 (identical), product 1 (close), product 2 (far), product 3 (closer still).
        var set = new PairSet(2, [1, 0], [1, 0, 0.9f, 0.3f, 0, 1, 0.95f, 0.2f], [0, 1, 2, 3], [(0, 0)]);

        var nearest = NegativeMining.Nearest(set, 2);

        Assert.Equal([3, 1], nearest[0]);
    }
}
