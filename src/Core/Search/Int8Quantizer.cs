using System.Buffers;
using System.Numerics.Tensors;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Symmetric per-vector int8 quantisation: <c>x ≈ scale · code</c> with <c>scale = max|xᵢ| / 127</c> and
/// <c>codeᵢ = round(xᵢ / scale)</c> in [−127, 127]. Example: [0.5, −0.25, 0.1] has scale 0.5/127; its codes
/// are [127, −64, 25] (−63.5 rounds to the even −64, 25.4 to 25).
/// </summary>
/// <remarks>
/// The largest value always maps to ±127, so no code is ever −128 (see <see cref="Int8Dot"/>) and every
/// vector uses the whole code range, whatever its length. Rounding error per value is at most scale / 2.
/// </remarks>
internal static class Int8Quantizer
{
    public const int MaxCode = 127;

    // Above this many values the scratch buffer comes from the array pool instead of the stack.
    private const int StackLimit = 1024;

    /// <summary>Writes the codes of <paramref name="vector"/> to <paramref name="codes"/> and returns its scale (0 for an all-zero vector).</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var maxMagnitude = MathF.Abs(TensorPrimitives.MaxMagnitude(vector));
        if (maxMagnitude == 0f)
        {
            codes.Clear();
            return 0f;
        }

        var inverse = MaxCode / maxMagnitude;
        if (float.IsFinite(inverse))
        {
            QuantizeVectorised(vector, inverse, codes);
        }
        else
        {
            // Subnormal maximum: 127 / max overflows single precision (and 0 · ∞ would be NaN); double does not.
            var wideInverse = MaxCode / (double)maxMagnitude;
            for (var i = 0; i < vector.Length; i++)
            {
                codes[i] = (sbyte)Math.Clamp(Math.Round(vector[i] * wideInverse), -MaxCode, MaxCode);
            }
        }

        return maxMagnitude / MaxCode;
    }

    /// <summary>
    /// Scale, round half to even, clamp, convert: SIMD end to end. The clamp only guards the invariant: the
    /// largest value scales to 127 give or take a rounding, which rounds back to 127.
    /// </summary>
    private static void QuantizeVectorised(ReadOnlySpan<float> vector, float inverse, Span<sbyte> codes)
    {
        float[]? rented = null;
        var scaled = vector.Length <= StackLimit
            ? stackalloc float[vector.Length]
            : (rented = ArrayPool<float>.Shared.Rent(vector.Length)).AsSpan(0, vector.Length);
        try
        {
            TensorPrimitives.Multiply(vector, inverse, scaled);
            TensorPrimitives.Round(scaled, scaled);
            TensorPrimitives.Min(scaled, MaxCode, scaled);
            TensorPrimitives.Max(scaled, -MaxCode, scaled);
            TensorPrimitives.ConvertTruncating<float, sbyte>(scaled, codes);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }
}
