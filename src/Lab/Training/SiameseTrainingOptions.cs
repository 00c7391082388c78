using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>How a projection head is trained. Every default works for a few thousand ResNet18 pairs on a laptop.</summary>
public sealed record SiameseTrainingOptions
{
    /// <summary>Length of the head's output vectors. Default: 128.</summary>
    public int OutputDimension { get; init; } = 128;

    /// <summary>Passes over the positive pairs. Default: 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Seeds the initial weights, the shuffling and the random negatives: the same seed and data give the same head, byte for byte. Default: 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Negative pairs per positive pair. Half (rounded up) are hard: the shop photos of other
    /// products nearest to the consumer photo in the base model's space, the confusions the head
    /// must learn to undo. The rest are shop photos of other products drawn at random each epoch,
    /// so the head does not forget the easy cases. Default: 8.
    /// </summary>
    public int NegativesPerPositive { get; init; } = 8;

    /// <summary>Adam step size. Default: 0.001.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Examples (positives and negatives) per optimiser step. Default: 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Hard negatives per positive.</summary>
    internal int HardNegatives => (NegativesPerPositive + 1) / 2;

    /// <summary>Random negatives per positive.</summary>
    internal int RandomNegatives => NegativesPerPositive / 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Check(OutputDimension is >= 1 and <= HeadFile.MaxDimension, $"{nameof(OutputDimension)} must be between 1 and {HeadFile.MaxDimension}, not {OutputDimension}.");
        Check(Epochs is >= 1 and <= 10_000, $"{nameof(Epochs)} must be between 1 and 10000, not {Epochs}.");
        Check(NegativesPerPositive is >= 1 and <= 64, $"{nameof(NegativesPerPositive)} must be between 1 and 64, not {NegativesPerPositive}.");
        Check(float.IsFinite(LearningRate) && LearningRate > 0 && LearningRate <= 1, $"{nameof(LearningRate)} must be above 0 and at most 1, not {LearningRate}.");
        Check(BatchSize is >= 1 and <= 65_536, $"{nameof(BatchSize)} must be between 1 and 65536, not {BatchSize}.");

        static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException(message);
            }
        }
    }
}

/// <summary>Losses after one epoch: the mean training loss over the epoch's steps, and the loss on the validation pairs at its end.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double TrainingLoss, double? ValidationLoss);

/// <summary>A trained head and the loss of every epoch, first to last.</summary>
public sealed record TrainingResult(ProjectionHead Head, IReadOnlyList<EpochReport> Epochs);
