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

    /// <summary>
    /// When training watches validation retrieval: stop once this many epochs in a row have not
    /// beaten the best one (whose head is kept); 0 trains every epoch and still keeps the best. Default: 5.
    /// </summary>
    public int Patience { get; init; } = 5;

    /// <summary>
    /// Start from the identity map instead of a random projection (needs <see cref="OutputDimension"/>
    /// equal to the base dimension): epoch 0 is then the base space, and training only moves away from
    /// it where the pairs ask. Default: false.
    /// </summary>
    public bool IdentityStart { get; init; }

    /// <summary>What training minimises. Default: <see cref="TrainingLoss.Pairs"/>.</summary>
    public TrainingLoss Loss { get; init; } = TrainingLoss.Pairs;

    /// <summary>Temperature τ of <see cref="TrainingLoss.Softmax"/>: cosines are divided by it before the softmax. Default: 0.05.</summary>
    public float Temperature { get; init; } = 0.05f;

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
        Check(float.IsFinite(Temperature) && Temperature is > 0 and <= 10, $"{nameof(Temperature)} must be above 0 and at most 10, not {Temperature}.");
        Check(Patience is >= 0 and <= 10_000, $"{nameof(Patience)} must be between 0 and 10000, not {Patience}.");

        static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException(message);
            }
        }
    }
}

/// <summary>What a head's training minimises.</summary>
public enum TrainingLoss
{
    /// <summary>Binary cross-entropy of single consumer/shop pairs, positive or negative (<see cref="PairLoss"/>).</summary>
    Pairs,

    /// <summary>Softmax cross-entropy of a consumer photo's own shop photo against its negatives (<see cref="SoftmaxLoss"/>).</summary>
    Softmax,
}

/// <summary>
/// Losses after one epoch: the mean training loss over the epoch's steps, the loss on the validation
/// pairs at its end, and validation retrieval through the epoch's head when training watches it.
/// </summary>
public sealed record EpochReport(int Epoch, int Epochs, double TrainingLoss, double? ValidationLoss, RetrievalScore? Retrieval = null);

/// <summary>
/// A trained head, the report of every epoch run (first to last), the epoch whose head this is (the
/// last one run, or the best on validation retrieval; 0 when none beat the starting head), and the
/// starting head's validation retrieval.
/// </summary>
public sealed record TrainingResult(ProjectionHead Head, IReadOnlyList<EpochReport> Epochs, int BestEpoch = 0, RetrievalScore? StartRetrieval = null);
