using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OutfitFinder.Core.Search;

public sealed partial class HnswIndex
{
    private const int WalkWidth = 8;
    private const int CacheLineBytes = 64;

    /// <summary>
    /// What the walk compares rows against: float values, or int8 codes and their scale when the index stores
    /// <see cref="HnswVectors.Int8"/>. A search makes one from its query, an insertion from the row it links.
    /// </summary>
    private readonly ref struct WalkQuery(ReadOnlySpan<float> floats, ReadOnlySpan<sbyte> codes, float scale)
    {
        public ReadOnlySpan<float> Floats { get; } = floats;

        public ReadOnlySpan<sbyte> Codes { get; } = codes;

        public float Scale { get; } = scale;
    }

    private bool StoresInt8 => Options.Vectors == HnswVectors.Int8;

    /// <summary>A stored row as the query of a walk (an insertion links the row by searching for it).</summary>
    private WalkQuery RowQuery(int row) => StoresInt8
        ? new WalkQuery(default, _codes.AsSpan(row * Dimension, Dimension), _scales[row])
        : new WalkQuery(_vectors.AsSpan(row * Dimension, Dimension), default, 0f);

    /// <summary>
    /// Lower is better: −dot for cosine (on unit vectors) and dot, else the metric's distance. Used to walk the
    /// graph, where a search computes thousands of these: the float dot is <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>,
    /// whose several accumulators keep it off the FMA latency that bounds <see cref="DotKernels.Dot"/>'s single chain, and int8 rows are compared code
    /// against code. Either differs from the exact scan's dot in the last bits, so reported scores come from
    /// <see cref="ScoreDistance"/>.
    /// </summary>
    private float Distance(WalkQuery query, int row)
    {
        if (StoresInt8)
        {
            return -(query.Scale * _scales[row] * Int8Dot.Dot(query.Codes, _codes.AsSpan(row * Dimension, Dimension)));
        }

        var vector = _vectors.AsSpan(row * Dimension, Dimension);
        return Metric switch
        {
            DistanceMetric.Cosine or DistanceMetric.Dot => -TensorPrimitives.Dot(query.Floats, vector),
            DistanceMetric.L2 => TensorPrimitives.Distance(query.Floats, vector),
            _ => DistanceMetrics.ManhattanDistance(query.Floats, vector),
        };
    }

    private float Distance(int a, int b) => Distance(RowQuery(a), b);

    /// <summary>
    /// The distance a reported score is made from. For float rows it is summed exactly as
    /// <see cref="FlatVectorIndex"/> sums it, so a row scores the same in both indexes; for int8 rows it is the
    /// float query against the row's codes, which keeps the query's precision and loses only the row's rounding.
    /// </summary>
    private float ScoreDistance(ReadOnlySpan<float> query, int row)
    {
        if (StoresInt8)
        {
            return -(FloatTimesCodes(query, _codes.AsSpan(row * Dimension, Dimension)) * _scales[row]);
        }

        var vector = _vectors.AsSpan(row * Dimension, Dimension);
        return Metric switch
        {
            DistanceMetric.Cosine or DistanceMetric.Dot => -DotKernels.Dot(query, vector),
            DistanceMetric.L2 => TensorPrimitives.Distance(query, vector),
            _ => DistanceMetrics.ManhattanDistance(query, vector),
        };
    }

    /// <summary>
    /// Σ query[i] · codes[i]: each 32 codes widened to four vectors of floats and multiplied into four accumulators,
    /// then a scalar tail. Runs for every row a search returns and every row of a selective category scan.
    /// </summary>
    private static float FloatTimesCodes(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> codes)
    {
        ref var q = ref MemoryMarshal.GetReference(query);
        ref var c = ref MemoryMarshal.GetReference(codes);
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var acc2 = Vector256<float>.Zero;
            var acc3 = Vector256<float>.Zero;
            for (; i <= codes.Length - (4 * WalkWidth); i += 4 * WalkWidth)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref c, (nuint)i));
                var (w0, w1) = Vector256.Widen(low);
                var (w2, w3) = Vector256.Widen(high);
                acc0 = MultiplyAdd(acc0, Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.ConvertToSingle(w0));
                acc1 = MultiplyAdd(acc1, Vector256.LoadUnsafe(ref q, (nuint)(i + WalkWidth)), Vector256.ConvertToSingle(w1));
                acc2 = MultiplyAdd(acc2, Vector256.LoadUnsafe(ref q, (nuint)(i + (2 * WalkWidth))), Vector256.ConvertToSingle(w2));
                acc3 = MultiplyAdd(acc3, Vector256.LoadUnsafe(ref q, (nuint)(i + (3 * WalkWidth))), Vector256.ConvertToSingle(w3));
            }

            sum = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        }

        for (; i < codes.Length; i++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref q, i), Unsafe.Add(ref c, i), sum);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> acc, Vector256<float> x, Vector256<float> y) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : acc + (x * y);

    /// <summary>
    /// Asks the CPU to start loading a row's vector into cache. A search visits rows in an order no hardware
    /// prefetcher can guess, so without this every distance first waits for main memory; issued for the next
    /// neighbour while the current one is scored, the load overlaps the arithmetic (as hnswlib does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Prefetch(int row)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        // The array may move under a compacting GC after the address is taken; a prefetch of a stale
        // address is only a wasted hint, never a fault.
        var pointer = StoresInt8
            ? (byte*)Unsafe.AsPointer(ref _codes[row * Dimension])
            : (byte*)Unsafe.AsPointer(ref _vectors[row * Dimension]);
        var bytes = Dimension * (StoresInt8 ? sizeof(sbyte) : sizeof(float));
        for (var offset = 0; offset < bytes; offset += CacheLineBytes)
        {
            Sse.Prefetch0(pointer + offset);
        }
    }
}
