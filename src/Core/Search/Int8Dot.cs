using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Exact integer dot product of two int8 vectors, the inner loop of <see cref="Int8VectorIndex"/>.
/// Every path returns the same number (integer sums do not depend on order), so the choice of path is
/// invisible in results.
/// </summary>
/// <remarks>
/// Invariant: no value is −128. Codes are symmetric in [−127, 127], which is what lets the x86 paths
/// multiply <c>|a|</c> (unsigned) by <c>b·sign(a)</c> (signed) — the only int8 product the hardware has
/// (<c>vpmaddubsw</c>, <c>vpdpbusd</c>) — without overflow: −128 would make <c>b·sign(a)</c> wrap.
/// Per lane, <c>vpmaddubsw</c> adds two products, at most 2 × 127² = 32,258, inside a 16-bit lane.
/// The 32-bit total is at most <c>length × 127²</c>, which fits for <c>length ≤ </c><see cref="MaxLength"/>.
/// </remarks>
internal static class Int8Dot
{
    /// <summary>Longest vectors whose dot product cannot overflow an int: 131,072 × 127² &lt; 2³¹.</summary>
    public const int MaxLength = 131_072;

    /// <summary>Dispatches to the widest path the processor has; the JIT removes the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (AvxVnni.IsSupported)
        {
            return DotAvxVnni(a, b);
        }

        if (Avx2.IsSupported)
        {
            return DotAvx2(a, b);
        }

        return Vector128.IsHardwareAccelerated ? DotVector128(a, b) : DotScalar(a, b, 0);
    }

    /// <summary>AVX-VNNI: one <c>vpdpbusd</c> multiplies 32 pairs and adds them, four at a time, into 8 ints.</summary>
    internal static int DotAvxVnni(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;

        // Two accumulators hide the instruction's latency.
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        for (; i <= length - 64; i += 64)
        {
            var a0 = Vector256.LoadUnsafe(ref ar, (nuint)i);
            var a1 = Vector256.LoadUnsafe(ref ar, (nuint)(i + 32));
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Avx2.Abs(a0), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)i), a0));
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Avx2.Abs(a1), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)(i + 32)), a1));
        }

        if (i <= length - 32)
        {
            var a0 = Vector256.LoadUnsafe(ref ar, (nuint)i);
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Avx2.Abs(a0), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)i), a0));
            i += 32;
        }

        return Vector256.Sum(acc0 + acc1) + DotScalar(a, b, i);
    }

    /// <summary>
    /// AVX2: <c>vpmaddubsw</c> multiplies 32 pairs into 16 pair-sums (16 bits), <c>vpmaddwd</c> by ones
    /// widens them into 8 ints.
    /// </summary>
    internal static int DotAvx2(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;
        var ones = Vector256.Create((short)1);

        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        for (; i <= length - 64; i += 64)
        {
            var a0 = Vector256.LoadUnsafe(ref ar, (nuint)i);
            var a1 = Vector256.LoadUnsafe(ref ar, (nuint)(i + 32));
            var pairs0 = Avx2.MultiplyAddAdjacent(Avx2.Abs(a0), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)i), a0));
            var pairs1 = Avx2.MultiplyAddAdjacent(Avx2.Abs(a1), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)(i + 32)), a1));
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(pairs0, ones));
            acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(pairs1, ones));
        }

        if (i <= length - 32)
        {
            var a0 = Vector256.LoadUnsafe(ref ar, (nuint)i);
            var pairs0 = Avx2.MultiplyAddAdjacent(Avx2.Abs(a0), Avx2.Sign(Vector256.LoadUnsafe(ref br, (nuint)i), a0));
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(pairs0, ones));
            i += 32;
        }

        return Vector256.Sum(acc0 + acc1) + DotScalar(a, b, i);
    }

    /// <summary>
    /// Portable (Arm64 AdvSimd, SSE2, WebAssembly SIMD): widen 16 pairs to 16 bits, multiply (exact, at most
    /// 127²), add the two halves (at most 32,258, still exact), widen to ints and accumulate.
    /// </summary>
    internal static int DotVector128(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;

        var acc = Vector128<int>.Zero;
        for (; i <= length - 16; i += 16)
        {
            var (aLow, aHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref ar, (nuint)i));
            var (bLow, bHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref br, (nuint)i));
            var (low, high) = Vector128.Widen((aLow * bLow) + (aHigh * bHigh));
            acc += low + high;
        }

        return Vector128.Sum(acc) + DotScalar(a, b, i);
    }

    /// <summary>Plain loop from <paramref name="start"/> to the end: the tail of every path, and the reference.</summary>
    internal static int DotScalar(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int start)
    {
        var sum = 0;
        for (var i = start; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
