using System.Numerics.Tensors;

namespace OutfitFinder.Core.Extraction.Siamese;

/// <summary>
/// The learned half of a Siamese metric: one linear layer applied to a base model's vector, then
/// L2-normalised, <c>z = (W·x + b) / ‖W·x + b‖</c>. The same weights embed consumer photos and shop
/// photos (that is what makes the pair network "Siamese"), so a catalog stores projected vectors
/// once and search remains a plain cosine or dot-product scan.
/// </summary>
/// <remarks>
/// A single linear layer is deliberate: the base features (ResNet18's pooled activations) are
/// already a strong nonlinear description, a linear map keeps training convex-ish, fast on a CPU
/// and cheap to apply per image (128×512 multiply-adds), and its gradient is short enough to check
/// by hand. Immutable and thread-safe.
/// </remarks>
public sealed class ProjectionHead
{
    private readonly float[] _weights;
    private readonly float[] _bias;

    /// <param name="baseModel">Model whose vectors this head takes, e.g. <c>resnet18</c>.</param>
    /// <param name="inputDimension">Length of the base model's vectors.</param>
    /// <param name="outputDimension">Length of the projected vectors.</param>
    /// <param name="weights"><c>outputDimension × inputDimension</c> floats, row-major (row r makes output r). Copied.</param>
    /// <param name="bias"><c>outputDimension</c> floats. Copied.</param>
    public ProjectionHead(string baseModel, int inputDimension, int outputDimension, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseModel);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputDimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDimension, 1);
        if (weights.Length != (long)inputDimension * outputDimension)
        {
            throw new ArgumentException($"A {outputDimension}×{inputDimension} head needs {(long)inputDimension * outputDimension} weights, not {weights.Length}.", nameof(weights));
        }

        if (bias.Length != outputDimension)
        {
            throw new ArgumentException($"A head with {outputDimension} outputs needs {outputDimension} biases, not {bias.Length}.", nameof(bias));
        }

        if (!AllFinite(weights) || !AllFinite(bias))
        {
            throw new ArgumentException("Head weights must be finite numbers.", nameof(weights));
        }

        BaseModel = baseModel;
        InputDimension = inputDimension;
        OutputDimension = outputDimension;
        this._weights = weights.ToArray();
        this._bias = bias.ToArray();
    }

    /// <summary>Model whose vectors this head takes.</summary>
    public string BaseModel { get; }

    /// <summary>Length of the vectors this head takes.</summary>
    public int InputDimension { get; }

    /// <summary>Length of the vectors this head returns.</summary>
    public int OutputDimension { get; }

    /// <summary>The weight matrix, row-major, <see cref="OutputDimension"/> rows of <see cref="InputDimension"/>.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>One bias per output.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>Writes the unit-length projection of <paramref name="input"/> into <paramref name="output"/>.</summary>
    public void Project(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputDimension)
        {
            throw new ArgumentException($"The head takes {InputDimension} values, not {input.Length}.", nameof(input));
        }

        if (output.Length != OutputDimension)
        {
            throw new ArgumentException($"The head writes {OutputDimension} values, not {output.Length}.", nameof(output));
        }

        Linear(_weights, _bias, input, output);
        UnitRows.Normalise(output, OutputDimension);
    }

    /// <summary>Projects <c>n</c> row-major vectors of <see cref="InputDimension"/>; returns <c>n × OutputDimension</c> floats.</summary>
    public float[] ProjectRows(ReadOnlySpan<float> inputs)
    {
        if (inputs.Length % InputDimension != 0)
        {
            throw new ArgumentException($"Inputs must be a multiple of {InputDimension} floats, not {inputs.Length}.", nameof(inputs));
        }

        var count = inputs.Length / InputDimension;
        var outputs = new float[count * OutputDimension];
        for (var i = 0; i < count; i++)
        {
            Project(inputs.Slice(i * InputDimension, InputDimension), outputs.AsSpan(i * OutputDimension, OutputDimension));
        }

        return outputs;
    }

    /// <summary>
    /// <c>output = W·input + b</c>, before normalisation, for a row-major <paramref name="weights"/> of
    /// <c>output.Length × input.Length</c>. Public so that the head trainer computes its loss with the
    /// very arithmetic that serves the head: a trained head then scores exactly as it did in training.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output)
    {
        var inputDimension = input.Length;
        for (var r = 0; r < output.Length; r++)
        {
            output[r] = TensorPrimitives.Dot(weights.Slice(r * inputDimension, inputDimension), input) + bias[r];
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }
}
