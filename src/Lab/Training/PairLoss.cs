using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>One training example: a consumer photo, a shop photo, and 1 if they show the same product else 0.</summary>
internal readonly record struct PairExample(int Consumer, int Shop, float Label);

/// <summary>
/// Binary cross-entropy of the Siamese pair classifier and its exact gradient.
/// </summary>
/// <remarks>
/// <para>Parameters are one flat vector <c>θ = [W (O·I, row-major) | b (O) | α | β]</c>, so the
/// optimiser and the finite-difference check treat them alike. For a pair (x, y) with label t:</para>
/// <code>
/// u = W·x + b,  v = W·y + b,  û = u/‖u‖,  v̂ = v/‖v‖,  s = û·v̂   (cosine in the head's space)
/// ℓ = α·s + β,  p = σ(ℓ),  L = −t·log p − (1−t)·log(1−p) = softplus(ℓ) − t·ℓ
/// ∂L/∂ℓ = p − t = g;  ∂L/∂α = g·s;  ∂L/∂β = g
/// ∂L/∂u = g·α·(v̂ − s·û)/‖u‖   (the derivative of û is (I − û·ûᵀ)/‖u‖)
/// ∂L/∂W = ∂L/∂u ⊗ x + ∂L/∂v ⊗ y;  ∂L/∂b = ∂L/∂u + ∂L/∂v
/// </code>
/// <para>α and β only turn a similarity into a probability; ranking depends on W and b alone, so
/// they are not saved in the head. The loss is the mean over the examples.</para>
/// </remarks>
internal static class PairLoss
{
    public static int ParameterCount(int input, int output) => (input * output) + output + 2;

    /// <summary>Mean loss over <paramref name="examples"/>; adds the mean gradient into <paramref name="gradient"/> unless it is empty.</summary>
    public static double Compute(
        ReadOnlySpan<float> parameters, int input, int output, PairSet set, ReadOnlySpan<PairExample> examples, Span<float> gradient)
    {
        var weightCount = input * output;
        var weights = parameters[..weightCount];
        var bias = parameters.Slice(weightCount, output);
        var alpha = parameters[weightCount + output];
        var beta = parameters[weightCount + output + 1];
        var withGradient = !gradient.IsEmpty;
        Span<float> u = output <= 1024 ? stackalloc float[output] : new float[output];
        Span<float> v = output <= 1024 ? stackalloc float[output] : new float[output];
        Span<float> du = output <= 1024 ? stackalloc float[output] : new float[output];
        Span<float> dv = output <= 1024 ? stackalloc float[output] : new float[output];
        var scale = 1f / examples.Length;
        double total = 0;
        foreach (var example in examples)
        {
            var x = set.Consumer(example.Consumer);
            var y = set.Shop(example.Shop);
            ProjectionHead.Linear(weights, bias, x, u);
            ProjectionHead.Linear(weights, bias, y, v);
            var normU = Math.Max(TensorPrimitives.Norm<float>(u), 1e-12f);
            var normV = Math.Max(TensorPrimitives.Norm<float>(v), 1e-12f);
            TensorPrimitives.Divide(u, normU, u);
            TensorPrimitives.Divide(v, normV, v);
            var similarity = TensorPrimitives.Dot<float>(u, v);
            var logit = (alpha * similarity) + beta;
            total += Softplus(logit) - (example.Label * logit);
            if (!withGradient)
            {
                continue;
            }

            var g = (Sigmoid(logit) - example.Label) * scale;
            gradient[weightCount + output] += g * similarity;
            gradient[weightCount + output + 1] += g;

            // du = gα(v̂ − s·û)/‖u‖ and dv = gα(û − s·v̂)/‖v‖, with u and v now holding û and v̂.
            TensorPrimitives.MultiplyAdd(u, -similarity, v, du);
            TensorPrimitives.Multiply(du, g * alpha / normU, du);
            TensorPrimitives.MultiplyAdd(v, -similarity, u, dv);
            TensorPrimitives.Multiply(dv, g * alpha / normV, dv);
            var weightGradient = gradient[..weightCount];
            for (var r = 0; r < output; r++)
            {
                var row = weightGradient.Slice(r * input, input);
                TensorPrimitives.MultiplyAdd(x, du[r], row, row);
                TensorPrimitives.MultiplyAdd(y, dv[r], row, row);
            }

            var biasGradient = gradient.Slice(weightCount, output);
            TensorPrimitives.Add(biasGradient, du, biasGradient);
            TensorPrimitives.Add(biasGradient, dv, biasGradient);
        }

        return total / examples.Length;
    }

    private static double Softplus(float x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    private static float Sigmoid(float x) => x >= 0 ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));
}
