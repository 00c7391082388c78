using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>One consumer photo and the shop photos it is ranked against: its own product's first, then negatives.</summary>
internal readonly record struct RankingGroup(int Consumer, int[] Shops);

/// <summary>
/// Softmax cross-entropy over a consumer photo's candidate shop photos (the normalised-softmax or
/// InfoNCE loss), and its exact gradient: the loss of ranking, not of calibrating each pair.
/// </summary>
/// <remarks>
/// <para>For a consumer vector x and candidates y₀ (its own product) … yₙ, with the head's unit
/// outputs û = (Wx+b)/‖Wx+b‖ and v̂ⱼ, cosines sⱼ = û·v̂ⱼ and temperature τ:</para>
/// <code>
/// pⱼ = exp(sⱼ/τ) / Σₖ exp(sₖ/τ),   L = −log p₀
/// ∂L/∂sⱼ = (pⱼ − [j = 0]) / τ = gⱼ
/// ∂L/∂u = Σⱼ gⱼ (v̂ⱼ − sⱼ û)/‖u‖,   ∂L/∂vⱼ = gⱼ (û − sⱼ v̂ⱼ)/‖vⱼ‖
/// </code>
/// <para>Why not the pair loss here: on R-MAC vectors of street crops, the binary cross-entropy of
/// single pairs fell while retrieval of the very training photos fell from 36 % to under 10 % top-1
/// (docs/evaluation.md): it can be lowered by calibrating every pair's similarity without ordering a
/// photo's candidates. This loss only moves when the own product's rank among them changes.</para>
/// <para>The parameter layout is <see cref="PairLoss"/>'s (α and β are left untouched).</para>
/// </remarks>
internal static class SoftmaxLoss
{
    /// <summary>Mean loss over <paramref name="groups"/>; adds the mean gradient into <paramref name="gradient"/> unless it is empty.</summary>
    public static double Compute(
        ReadOnlySpan<float> parameters, int input, int output, float temperature, PairSet set, ReadOnlySpan<RankingGroup> groups, Span<float> gradient)
    {
        var weightCount = input * output;
        var weights = parameters[..weightCount];
        var bias = parameters.Slice(weightCount, output);
        var withGradient = !gradient.IsEmpty;
        var u = new float[output];
        var du = new float[output];
        var dv = new float[output];
        var scale = 1f / groups.Length;
        double total = 0;
        foreach (var group in groups)
        {
            var x = set.Consumer(group.Consumer);
            ProjectionHead.Linear(weights, bias, x, u);
            var normU = Math.Max(TensorPrimitives.Norm<float>(u), 1e-12f);
            TensorPrimitives.Divide(u, normU, u);
            var count = group.Shops.Length;
            var v = new float[count][];
            var normV = new float[count];
            var s = new float[count];
            for (var j = 0; j < count; j++)
            {
                v[j] = new float[output];
                ProjectionHead.Linear(weights, bias, set.Shop(group.Shops[j]), v[j]);
                normV[j] = Math.Max(TensorPrimitives.Norm<float>(v[j]), 1e-12f);
                TensorPrimitives.Divide(v[j], normV[j], v[j]);
                s[j] = TensorPrimitives.Dot<float>(u, v[j]);
            }

            var max = s.Max();
            var sum = 0.0;
            var p = new double[count];
            for (var j = 0; j < count; j++)
            {
                p[j] = Math.Exp((s[j] - max) / temperature);
                sum += p[j];
            }

            total += -Math.Log(p[0] / sum);
            if (!withGradient)
            {
                continue;
            }

            Array.Clear(du);
            var weightGradient = gradient[..weightCount];
            var biasGradient = gradient.Slice(weightCount, output);
            for (var j = 0; j < count; j++)
            {
                var g = (float)(((p[j] / sum) - (j == 0 ? 1 : 0)) / temperature) * scale;
                if (g == 0)
                {
                    continue;
                }

                // du += g(v̂ − s·û)/‖u‖ ; dv = g(û − s·v̂)/‖v‖, applied to W and b through y at once.
                TensorPrimitives.MultiplyAdd(u, -s[j], v[j], dv);
                TensorPrimitives.MultiplyAdd(dv, g / normU, du, du);
                TensorPrimitives.MultiplyAdd(v[j], -s[j], u, dv);
                TensorPrimitives.Multiply(dv, g / normV[j], dv);
                var y = set.Shop(group.Shops[j]);
                for (var r = 0; r < output; r++)
                {
                    var row = weightGradient.Slice(r * input, input);
                    TensorPrimitives.MultiplyAdd(y, dv[r], row, row);
                }

                TensorPrimitives.Add(biasGradient, dv, biasGradient);
            }

            for (var r = 0; r < output; r++)
            {
                var row = weightGradient.Slice(r * input, input);
                TensorPrimitives.MultiplyAdd(x, du[r], row, row);
            }

            TensorPrimitives.Add(biasGradient, du, biasGradient);
        }

        return total / groups.Length;
    }
}
