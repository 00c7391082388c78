using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OutfitFinder.Core.Search;

/// <summary>
/// What each <see cref="DistanceMetric"/> means: how to score a pair of vectors, which way is better,
/// how hits are ordered, and the metric's name on the wire.
/// </summary>
public static class DistanceMetrics
{
    private static readonly IComparer<IndexHit>[] BestFirstComparers =
        [.. Enum.GetValues<DistanceMetric>().Select(m => Comparer<IndexHit>.Create((a, b) => Compare(m, a, b)))];

    private static readonly IComparer<IndexHit>[] WorstFirstComparers =
        [.. Enum.GetValues<DistanceMetric>().Select(m => Comparer<IndexHit>.Create((a, b) => Compare(m, b, a)))];

    /// <summary>True for similarities (cosine, dot), false for distances (L2, L1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The metric is not a defined value.</exception>
    public static bool HigherIsBetter(DistanceMetric metric) => metric switch
    {
        DistanceMetric.Cosine or DistanceMetric.Dot => true,
        DistanceMetric.L2 or DistanceMetric.L1 => false,
        _ => throw UnknownMetric(metric),
    };

    /// <summary>
    /// Scores <paramref name="a"/> against <paramref name="b"/>: cosine similarity (0 when either vector
    /// is all zeros, never NaN), dot product, Euclidean distance (not squared) or Manhattan distance.
    /// </summary>
    /// <exception cref="ArgumentException">The vectors differ in length or are empty.</exception>
    public static float Score(DistanceMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The vectors differ in length ({a.Length} and {b.Length}).", nameof(b));
        }

        if (a.IsEmpty)
        {
            throw new ArgumentException("The vectors are empty.", nameof(a));
        }

        return metric switch
        {
            DistanceMetric.Cosine => CosineSimilarity(a, b),
            DistanceMetric.Dot => DotKernels.Dot(a, b),
            DistanceMetric.L2 => TensorPrimitives.Distance(a, b),
            DistanceMetric.L1 => ManhattanDistance(a, b),
            _ => throw UnknownMetric(metric),
        };
    }

    /// <summary>Parses a wire name: <c>cosine</c>, <c>dot</c>, <c>l2</c> or <c>l1</c>, in any case.</summary>
    public static bool TryParse(string? value, out DistanceMetric metric)
    {
        foreach (var candidate in Enum.GetValues<DistanceMetric>())
        {
            if (string.Equals(value, ToWireName(candidate), StringComparison.OrdinalIgnoreCase))
            {
                metric = candidate;
                return true;
            }
        }

        metric = default;
        return false;
    }

    /// <summary>The metric's name in requests, responses and catalog descriptions: lower case.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The metric is not a defined value.</exception>
    public static string ToWireName(DistanceMetric metric) => metric switch
    {
        DistanceMetric.Cosine => "cosine",
        DistanceMetric.Dot => "dot",
        DistanceMetric.L2 => "l2",
        DistanceMetric.L1 => "l1",
        _ => throw UnknownMetric(metric),
    };

    /// <summary>
    /// Orders hits best first: by score in the metric's direction, then by ordinal product id, then by
    /// image index. Every index and every merge uses this one order, which is what makes a search over
    /// N shards return exactly what a search over one index would.
    /// </summary>
    /// <returns>Negative when <paramref name="a"/> ranks before <paramref name="b"/>.</returns>
    public static int Compare(DistanceMetric metric, IndexHit a, IndexHit b)
    {
        var byScore = HigherIsBetter(metric) ? b.Score.CompareTo(a.Score) : a.Score.CompareTo(b.Score);
        if (byScore != 0)
        {
            return byScore;
        }

        var byId = string.CompareOrdinal(a.ProductId, b.ProductId);
        return byId != 0 ? byId : a.ImageIndex.CompareTo(b.ImageIndex);
    }

    /// <summary><see cref="Compare"/> as a cached comparer (best first).</summary>
    internal static IComparer<IndexHit> BestFirst(DistanceMetric metric) =>
        Enum.IsDefined(metric) ? BestFirstComparers[(int)metric] : throw UnknownMetric(metric);

    /// <summary>The reverse of <see cref="BestFirst"/>: the root of a min-heap under it is the worst hit kept.</summary>
    internal static IComparer<IndexHit> WorstFirst(DistanceMetric metric) =>
        Enum.IsDefined(metric) ? WorstFirstComparers[(int)metric] : throw UnknownMetric(metric);

    /// <summary>True when <paramref name="score"/> is strictly better than <paramref name="than"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsBetter(bool higherIsBetter, float score, float than) =>
        higherIsBetter ? score > than : score < than;

    /// <summary>Sum of absolute differences; TensorPrimitives has no fused L1 distance.</summary>
    internal static float ManhattanDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;
        var sum = 0f;

        if (Vector.IsHardwareAccelerated && length >= Vector<float>.Count)
        {
            // Two accumulators hide the add latency; the summation order depends only on the length,
            // so the same pair of vectors scores identically wherever they are stored.
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            var width = Vector<float>.Count;
            for (; i <= length - (2 * width); i += 2 * width)
            {
                acc0 += Vector.Abs(Vector.LoadUnsafe(ref ar, (nuint)i) - Vector.LoadUnsafe(ref br, (nuint)i));
                acc1 += Vector.Abs(Vector.LoadUnsafe(ref ar, (nuint)(i + width)) -
                                   Vector.LoadUnsafe(ref br, (nuint)(i + width)));
            }

            if (i <= length - width)
            {
                acc0 += Vector.Abs(Vector.LoadUnsafe(ref ar, (nuint)i) - Vector.LoadUnsafe(ref br, (nuint)i));
                i += width;
            }

            sum = Vector.Sum(acc0 + acc1);
        }

        for (; i < length; i++)
        {
            sum += MathF.Abs(Unsafe.Add(ref ar, i) - Unsafe.Add(ref br, i));
        }

        return sum;
    }

    private static float CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var similarity = TensorPrimitives.CosineSimilarity(a, b);

        // With finite inputs NaN only comes from 0/0, i.e. an all-zero vector, which resembles nothing.
        return float.IsNaN(similarity) && (IsZero(a) || IsZero(b)) ? 0f : similarity;
    }

    private static bool IsZero(ReadOnlySpan<float> vector) => TensorPrimitives.MaxMagnitude(vector) == 0f;

    private static ArgumentOutOfRangeException UnknownMetric(DistanceMetric metric) =>
        new(nameof(metric), metric, "Unknown distance metric.");
}
