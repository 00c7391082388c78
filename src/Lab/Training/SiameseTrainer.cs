using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>
/// Trains a <see cref="ProjectionHead"/> so that a consumer photo and the shop photo of the same
/// product end up close, and shop photos of other products far: binary cross-entropy over positive
/// and negative pairs (see <see cref="PairLoss"/>), Adam steps over shuffled mini-batches.
/// </summary>
/// <remarks>
/// Deterministic: one <see cref="Random"/> seeded with <see cref="SiameseTrainingOptions.Seed"/>
/// draws the initial weights, the random negatives and the shuffles, and all arithmetic runs on
/// one thread in a fixed order, so the same seed and pairs give the same head bytes.
/// </remarks>
public static class SiameseTrainer
{
    /// <summary>Initial logit scale α: cosines in [−1, 1] become logits in [−5, 5].</summary>
    private const float InitialAlpha = 5f;

    /// <summary>Trains a head for vectors of <paramref name="baseModel"/>.</summary>
    /// <param name="baseModel">Name of the model that made the vectors; stored in the head.</param>
    /// <param name="training">Pairs to learn from; needs shop photos of at least two products.</param>
    /// <param name="validation">Held-out pairs whose loss is reported after every epoch, or null.</param>
    /// <param name="options">Settings; checked first.</param>
    /// <param name="onEpoch">Called after every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    public static TrainingResult Train(
        string baseModel,
        PairSet training,
        PairSet? validation,
        SiameseTrainingOptions options,
        Action<EpochReport>? onEpoch = null,
        CancellationToken cancellationToken = default) =>
        Train(baseModel, training, validation, null, options, onEpoch, cancellationToken);

    /// <summary>
    /// Trains a head for vectors of <paramref name="baseModel"/>, watching retrieval on
    /// <paramref name="retrieval"/> after every epoch: the head returned is the best epoch's (by
    /// top-20, then MRR@20; epoch 0 is the starting head), and training stops once
    /// <see cref="SiameseTrainingOptions.Patience"/> epochs in a row have not beaten it.
    /// </summary>
    /// <param name="baseModel">Name of the model that made the vectors; stored in the head.</param>
    /// <param name="training">Pairs to learn from; needs shop photos of at least two products.</param>
    /// <param name="validation">Held-out pairs whose loss is reported after every epoch, or null.</param>
    /// <param name="retrieval">Held-out queries and gallery that choose the epoch, or null to keep the last epoch.</param>
    /// <param name="options">Settings; checked first.</param>
    /// <param name="onEpoch">Called after every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    public static TrainingResult Train(
        string baseModel,
        PairSet training,
        PairSet? validation,
        RegionRetrieval? retrieval,
        SiameseTrainingOptions options,
        Action<EpochReport>? onEpoch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseModel);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (validation is not null && validation.Dimension != training.Dimension)
        {
            throw new ArgumentException($"Validation vectors have {validation.Dimension} values, training vectors {training.Dimension}.", nameof(validation));
        }

        if (training.ProductCount < 2)
        {
            throw new ArgumentException("Training needs shop photos of at least two products: negatives are other products' photos.", nameof(training));
        }

        var input = training.Dimension;
        var output = options.OutputDimension;
        if (options.IdentityStart && output != input)
        {
            throw new ArgumentException($"An identity start needs an output dimension equal to the input's ({input}), not {output}.", nameof(options));
        }

        var random = new Random(options.Seed);
        var parameters = options.IdentityStart ? IdentityParameters(input) : InitialParameters(input, output, random);
        var hard = NegativeMining.Nearest(training, options.HardNegatives);
        var validationExamples = validation is null ? null : ValidationExamples(validation, options);
        var validationGroups = validation is null || validation.ProductCount < 2
            ? null
            : EpochGroups(validation, NegativeMining.Nearest(validation, options.HardNegatives), options.RandomNegatives, new Random(options.Seed ^ 0x5EED));
        var adam = new AdamOptimizer(parameters.Length, options.LearningRate);
        var gradient = new float[parameters.Length];
        var reports = new List<EpochReport>(options.Epochs);

        // Epoch 0 is the starting head: with an identity start, a head that never beats it is the base space itself.
        var startScore = retrieval?.Evaluate(HeadOf(parameters));
        (int Epoch, ProjectionHead Head, RetrievalScore? Score) best = (0, HeadOf(parameters), startScore);
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            double trainingLoss;
            double? validationLoss;
            if (options.Loss == TrainingLoss.Softmax)
            {
                var groups = EpochGroups(training, hard, options.RandomNegatives, random);
                Shuffle(groups, random);
                var groupsPerStep = Math.Max(1, options.BatchSize / (1 + options.NegativesPerPositive));
                double lossSum = 0;
                for (var start = 0; start < groups.Length; start += groupsPerStep)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var batch = groups.AsSpan(start, Math.Min(groupsPerStep, groups.Length - start));
                    Array.Clear(gradient);
                    lossSum += SoftmaxLoss.Compute(parameters, input, output, options.Temperature, training, batch, gradient) * batch.Length;
                    adam.Step(parameters, gradient);
                }

                trainingLoss = lossSum / groups.Length;
                validationLoss = validationGroups is null ? null : SoftmaxLoss.Compute(parameters, input, output, options.Temperature, validation!, validationGroups, []);
            }
            else
            {
                var examples = EpochExamples(training, hard, options.RandomNegatives, random);
                Shuffle(examples, random);
                double lossSum = 0;
                for (var start = 0; start < examples.Length; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var batch = examples.AsSpan(start, Math.Min(options.BatchSize, examples.Length - start));
                    Array.Clear(gradient);
                    lossSum += PairLoss.Compute(parameters, input, output, training, batch, gradient) * batch.Length;
                    adam.Step(parameters, gradient);
                }

                trainingLoss = lossSum / examples.Length;
                validationLoss = validationExamples is null ? null : PairLoss.Compute(parameters, input, output, validation!, validationExamples, []);
            }

            var current = HeadOf(parameters);
            var score = retrieval?.Evaluate(current);
            var report = new EpochReport(epoch, options.Epochs, trainingLoss, validationLoss, score);
            reports.Add(report);
            onEpoch?.Invoke(report);
            if (retrieval is null)
            {
                best = (epoch, current, null);
                continue;
            }

            if (score!.IsBetterThan(best.Score))
            {
                best = (epoch, current, score);
            }
            else if (options.Patience > 0 && epoch - best.Epoch >= options.Patience)
            {
                break;
            }
        }

        return new TrainingResult(best.Head, reports, best.Epoch, startScore);

        ProjectionHead HeadOf(float[] values) =>
            new(baseModel, input, output, values.AsSpan(0, input * output), values.AsSpan(input * output, output));
    }

    /// <summary>The identity map (W = I, b = 0), α = 5, β = 0: the head starts as the base space itself.</summary>
    internal static float[] IdentityParameters(int dimension)
    {
        var parameters = new float[PairLoss.ParameterCount(dimension, dimension)];
        for (var i = 0; i < dimension; i++)
        {
            parameters[(i * dimension) + i] = 1;
        }

        parameters[(dimension * dimension) + dimension] = InitialAlpha;
        return parameters;
    }

    /// <summary>Gaussian weights with variance 1/I (a random projection that roughly keeps angles), zero bias, α = 5, β = 0.</summary>
    internal static float[] InitialParameters(int input, int output, Random random)
    {
        var parameters = new float[PairLoss.ParameterCount(input, output)];
        var deviation = 1 / Math.Sqrt(input);
        for (var i = 0; i < input * output; i++)
        {
            // Box–Muller; 1 − NextDouble() is in (0, 1], so the logarithm is finite.
            var radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            parameters[i] = (float)(deviation * radius * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        parameters[(input * output) + output] = InitialAlpha;
        return parameters;
    }

    private static PairExample[] EpochExamples(PairSet set, int[][] hard, int randomNegatives, Random random)
    {
        var examples = new List<PairExample>(set.Positives.Length * (1 + hard.Select(h => h.Length).DefaultIfEmpty().Max() + randomNegatives));
        foreach (var (consumer, shop) in set.Positives)
        {
            examples.Add(new PairExample(consumer, shop, 1));
            foreach (var negative in hard[consumer])
            {
                examples.Add(new PairExample(consumer, negative, 0));
            }

            for (var i = 0; i < randomNegatives; i++)
            {
                examples.Add(new PairExample(consumer, NegativeMining.RandomOtherProduct(set, consumer, random), 0));
            }
        }

        return [.. examples];
    }

    /// <summary>One ranking group per positive pair: its own shop photo first, then the hard and the random negatives.</summary>
    private static RankingGroup[] EpochGroups(PairSet set, int[][] hard, int randomNegatives, Random random)
    {
        var groups = new RankingGroup[set.Positives.Length];
        for (var i = 0; i < groups.Length; i++)
        {
            var (consumer, shop) = set.Positives[i];
            var shops = new List<int>(1 + hard[consumer].Length + randomNegatives) { shop };
            shops.AddRange(hard[consumer]);
            for (var n = 0; n < randomNegatives; n++)
            {
                shops.Add(NegativeMining.RandomOtherProduct(set, consumer, random));
            }

            groups[i] = new RankingGroup(consumer, [.. shops]);
        }

        return groups;
    }

    /// <summary>Fixed for the whole run (its own seed), so validation losses of different epochs compare like with like.</summary>
    private static PairExample[] ValidationExamples(PairSet validation, SiameseTrainingOptions options)
    {
        if (validation.ProductCount < 2)
        {
            return [.. validation.Positives.Select(p => new PairExample(p.Consumer, p.Shop, 1))];
        }

        return EpochExamples(validation, NegativeMining.Nearest(validation, options.HardNegatives), options.RandomNegatives, new Random(options.Seed ^ 0x5EED));
    }

    private static void Shuffle<T>(T[] examples, Random random)
    {
        for (var i = examples.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (examples[i], examples[j]) = (examples[j], examples[i]);
        }
    }
}

/// <summary>Chooses the shop photos used as negatives for each consumer photo.</summary>
internal static class NegativeMining
{
    /// <summary>
    /// For each consumer row, the <paramref name="count"/> shop rows of other products with the
    /// highest cosine in the base space, most similar first: the pairs the base model confuses.
    /// </summary>
    public static int[][] Nearest(PairSet set, int count)
    {
        var nearest = new int[set.ConsumerCount][];
        var scores = new float[set.ShopCount];
        for (var consumer = 0; consumer < set.ConsumerCount; consumer++)
        {
            var query = set.Consumer(consumer);
            for (var shop = 0; shop < set.ShopCount; shop++)
            {
                scores[shop] = TensorPrimitives.Dot(query, set.Shop(shop));
            }

            var product = set.ConsumerProducts[consumer];
            var best = new List<int>(count + 1);
            for (var shop = 0; shop < set.ShopCount; shop++)
            {
                if (set.ShopProducts[shop] == product)
                {
                    continue;
                }

                // Insertion into a short list sorted by score, ties by lower row: count is at most 32.
                var at = best.Count;
                while (at > 0 && scores[best[at - 1]] < scores[shop])
                {
                    at--;
                }

                if (at < count)
                {
                    best.Insert(at, shop);
                    if (best.Count > count)
                    {
                        best.RemoveAt(count);
                    }
                }
            }

            nearest[consumer] = [.. best];
        }

        return nearest;
    }

    /// <summary>A shop row of another product than <paramref name="consumer"/>'s, uniformly at random.</summary>
    public static int RandomOtherProduct(PairSet set, int consumer, Random random)
    {
        var product = set.ConsumerProducts[consumer];
        while (true)
        {
            var shop = random.Next(set.ShopCount);
            if (set.ShopProducts[shop] != product)
            {
                return shop;
            }
        }
    }
}
