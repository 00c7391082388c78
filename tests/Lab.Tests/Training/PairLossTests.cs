using OutfitFinder.Lab.Training;

namespace OutfitFinder.Lab.Tests.Training;

public sealed class PairLossTests
{
    [Fact]
    public void Compute_GradientMatchesCentralFiniteDifferences_ForEveryParameter()
    {
        const int input = SyntheticPairs.Dimension;
        const int output = 4;
        var set = SyntheticPairs.Make(products: 4, consumersPerProduct: 2, seed: 3);
        var random = new Random(11);
        var parameters = SiameseTrainer.InitialParameters(input, output, random);
        // A nonzero bias and β, so their gradients and the bias path through u and v are exercised too.
        SyntheticPairs.Gaussian(random, output, 0.3f).CopyTo(parameters, input * output);
        parameters[^1] = -0.7f;
        PairExample[] examples = [new(0, 0, 1), new(1, 0, 1), new(2, 1, 1), new(0, 3, 0), new(3, 2, 0), new(5, 0, 0), new(7, 3, 1)];

        var analytic = new float[parameters.Length];
        PairLoss.Compute(parameters, input, output, set, examples, analytic);

        const float step = 1e-3f;
        var worst = 0.0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var original = parameters[i];
            parameters[i] = original + step;
            var plus = PairLoss.Compute(parameters, input, output, set, examples, []);
            parameters[i] = original - step;
            var minus = PairLoss.Compute(parameters, input, output, set, examples, []);
            parameters[i] = original;
            var numeric = (plus - minus) / (2 * step);
            var error = Math.Abs(numeric - analytic[i]);
            Assert.True(error <= 2e-3 + (0.02 * Math.Abs(numeric)), $"parameter {i}: analytic {analytic[i]}, numeric {numeric}");
            worst = Math.Max(worst, Math.Abs(numeric));
        }

        // The check means something only if the loss actually moves with the parameters.
        Assert.True(worst > 0.05, $"largest gradient component is only {worst}");
    }

    [Fact]
    public void Compute_IsLowerForAPositivePairThanForTheSamePairLabelledNegative_WhenItsPhotosAgree()
    {
        var set = SyntheticPairs.Make(products: 2, consumersPerProduct: 1, seed: 5);
        var parameters = SiameseTrainer.InitialParameters(SyntheticPairs.Dimension, SyntheticPairs.Dimension, new Random(1));
        // Identity weights: similarity is the base cosine, so a consumer photo compared with itself scores 1.
        Array.Clear(parameters, 0, SyntheticPairs.Dimension * SyntheticPairs.Dimension);
        for (var i = 0; i < SyntheticPairs.Dimension; i++)
        {
            parameters[(i * SyntheticPairs.Dimension) + i] = 1;
        }

        var asPositive = PairLoss.Compute(parameters, SyntheticPairs.Dimension, SyntheticPairs.Dimension, set, [new PairExample(0, 0, 1)], []);
        var asNegative = PairLoss.Compute(parameters, SyntheticPairs.Dimension, SyntheticPairs.Dimension, set, [new PairExample(0, 0, 0)], []);

        Assert.True(asPositive < asNegative, $"positive {asPositive}, negative {asNegative}");
    }
}
