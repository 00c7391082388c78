using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Dot products of one or many queries against many stored rows: the inner loop of the exact scan.
/// Every (query, row) pair is summed the same way whichever entry point computes it, so a query scored
/// alone and the same query scored in a batch get bit-identical scores.
/// </summary>
/// <remarks>
/// <para>
/// The pair's sum: one 256-bit accumulator walked over the vector in order, eight floats at a time with
/// a fused multiply-add (a multiply and an add where the CPU has no FMA), reduced with
/// <see cref="Vector256.Sum{T}(Vector256{T})"/>, then the leftover values added one by one. A single
/// accumulator is a long dependency chain, so the loops never run one pair at a time: a single query
/// walks four rows at once (four independent chains hide the FMA latency, and the scan stays bound by
/// memory), a batch walks a 4-query × 2-row tile (eight chains, each row chunk loaded once for four queries).
/// </para>
/// <para>
/// A batch is blocked like a matrix product: rows are taken <see cref="RowBlock"/> at a time (256 rows of
/// 512 floats are 512 KiB, which stays in L2) and every query is scored against the block before the next
/// block is read, so each row comes from memory once per batch instead of once per query.
/// </para>
/// </remarks>
public static class DotKernels
{
    /// <summary>Rows scored against every query of a batch before the next rows are read.</summary>
    public const int RowBlock = 256;

    private const int Width = 8;

    /// <summary>The dot product of <paramref name="a"/> and <paramref name="b"/>, summed as every kernel here sums it.</summary>
    /// <exception cref="ArgumentException">The vectors differ in length.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The vectors differ in length ({a.Length} and {b.Length}).", nameof(b));
        }

        return Pair(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length);
    }

    /// <summary>
    /// <c>scores[r] = Dot(query, rows[r·d .. (r+1)·d))</c> for the contiguous rows of a block, with
    /// <c>d = query.Length</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not fit together.</exception>
    public static void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> scores) =>
        DotBatch(query, query.Length, rows, scores);

    /// <summary>
    /// Scores every query against every row: <c>scores[q·R + r] = Dot(query q, row r)</c>, where the
    /// queries are <paramref name="queries"/> cut into <paramref name="dimension"/>-long vectors and the R rows
    /// are <paramref name="rows"/> cut likewise. Each score equals <see cref="Dot"/> of that pair exactly.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not fit together.</exception>
    public static void DotBatch(ReadOnlySpan<float> queries, int dimension, ReadOnlySpan<float> rows, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (queries.Length % dimension != 0 || rows.Length % dimension != 0)
        {
            throw new ArgumentException($"The queries ({queries.Length} values) and rows ({rows.Length} values) must be whole vectors of {dimension}.");
        }

        var queryCount = queries.Length / dimension;
        var rowCount = rows.Length / dimension;
        if (scores.Length != queryCount * rowCount)
        {
            throw new ArgumentException(
                $"{queryCount} queries × {rowCount} rows need {queryCount * rowCount} scores, not {scores.Length}.", nameof(scores));
        }

        Score(queries, queryCount, rows, new ContiguousRows(dimension), rowCount, dimension, scores);
    }

    /// <summary>
    /// As <see cref="DotBatch(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float})"/> for rows picked out
    /// of a block by number: <c>scores[q·n + j] = Dot(query q, block row rowNumbers[j])</c>. The caller checks
    /// that every row number is inside the block.
    /// </summary>
    internal static void DotBatch(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> block,
        ReadOnlySpan<int> rowNumbers, int dimension, Span<float> scores) =>
        Score(queries, queryCount, block, new NumberedRows(rowNumbers, dimension), rowNumbers.Length, dimension, scores);

    /// <summary>
    /// The sum of <paramref name="values"/> read once, front to back, with four 256-bit accumulators: a plain
    /// streaming read, the yardstick that <see cref="DotRows"/> over the same memory is measured against.
    /// </summary>
    public static float Sum(ReadOnlySpan<float> values)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var length = values.Length;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - (4 * Width); i += 4 * Width)
        {
            acc0 += Vector256.LoadUnsafe(ref start, (nuint)i);
            acc1 += Vector256.LoadUnsafe(ref start, (nuint)(i + Width));
            acc2 += Vector256.LoadUnsafe(ref start, (nuint)(i + (2 * Width)));
            acc3 += Vector256.LoadUnsafe(ref start, (nuint)(i + (3 * Width)));
        }

        var sum = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref start, i);
        }

        return sum;
    }

    /// <summary>Where row j starts in the block, in floats; a struct so each caller's loop is specialised.</summary>
    private interface IRowOffsets
    {
        int Offset(int row);
    }

    private readonly struct ContiguousRows(int dimension) : IRowOffsets
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Offset(int row) => row * dimension;
    }

    private readonly ref struct NumberedRows(ReadOnlySpan<int> rowNumbers, int dimension) : IRowOffsets
    {
        private readonly ReadOnlySpan<int> _rowNumbers = rowNumbers;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Offset(int row) => _rowNumbers[row] * dimension;
    }

    private static void Score<TRows>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> block, TRows rows,
        int rowCount, int dimension, Span<float> scores)
        where TRows : IRowOffsets, allows ref struct
    {
        ref var q0 = ref MemoryMarshal.GetReference(queries);
        ref var b0 = ref MemoryMarshal.GetReference(block);
        ref var s0 = ref MemoryMarshal.GetReference(scores);

        for (var blockStart = 0; blockStart < rowCount; blockStart += RowBlock)
        {
            var blockEnd = Math.Min(rowCount, blockStart + RowBlock);
            var q = 0;
            for (; q + 4 <= queryCount; q += 4)
            {
                ref var qa = ref Unsafe.Add(ref q0, q * dimension);
                ref var qb = ref Unsafe.Add(ref qa, dimension);
                ref var qc = ref Unsafe.Add(ref qb, dimension);
                ref var qd = ref Unsafe.Add(ref qc, dimension);
                ref var sa = ref Unsafe.Add(ref s0, q * rowCount);
                ref var sb = ref Unsafe.Add(ref sa, rowCount);
                ref var sc = ref Unsafe.Add(ref sb, rowCount);
                ref var sd = ref Unsafe.Add(ref sc, rowCount);
                var r = blockStart;
                for (; r + 2 <= blockEnd; r += 2)
                {
                    Tile4x2(ref qa, ref qb, ref qc, ref qd,
                        ref Unsafe.Add(ref b0, rows.Offset(r)), ref Unsafe.Add(ref b0, rows.Offset(r + 1)), dimension,
                        ref Unsafe.Add(ref sa, r), ref Unsafe.Add(ref sb, r), ref Unsafe.Add(ref sc, r), ref Unsafe.Add(ref sd, r));
                }

                for (; r < blockEnd; r++)
                {
                    ref var row = ref Unsafe.Add(ref b0, rows.Offset(r));
                    Unsafe.Add(ref sa, r) = Pair(ref qa, ref row, dimension);
                    Unsafe.Add(ref sb, r) = Pair(ref qb, ref row, dimension);
                    Unsafe.Add(ref sc, r) = Pair(ref qc, ref row, dimension);
                    Unsafe.Add(ref sd, r) = Pair(ref qd, ref row, dimension);
                }
            }

            for (; q < queryCount; q++)
            {
                ref var query = ref Unsafe.Add(ref q0, q * dimension);
                ref var s = ref Unsafe.Add(ref s0, q * rowCount);
                var r = blockStart;
                for (; r + 8 <= blockEnd; r += 8)
                {
                    Tile1x8(ref query, ref b0, rows, r, dimension, ref Unsafe.Add(ref s, r));
                }

                for (; r + 4 <= blockEnd; r += 4)
                {
                    Tile1x4(ref query,
                        ref Unsafe.Add(ref b0, rows.Offset(r)), ref Unsafe.Add(ref b0, rows.Offset(r + 1)),
                        ref Unsafe.Add(ref b0, rows.Offset(r + 2)), ref Unsafe.Add(ref b0, rows.Offset(r + 3)),
                        dimension, ref Unsafe.Add(ref s, r));
                }

                for (; r < blockEnd; r++)
                {
                    Unsafe.Add(ref s, r) = Pair(ref query, ref Unsafe.Add(ref b0, rows.Offset(r)), dimension);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> accumulator, Vector256<float> a, Vector256<float> b) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, accumulator) : accumulator + (a * b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Step(float accumulator, float a, float b) =>
        Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, accumulator) : accumulator + (a * b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float start, int i) => Vector256.LoadUnsafe(ref start, (nuint)i);

    /// <summary>The reference sum of one pair; the tiles below repeat it for several pairs side by side.</summary>
    private static float Pair(ref float a, ref float b, int length)
    {
        var acc = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - Width; i += Width)
        {
            acc = Step(acc, Load(ref a, i), Load(ref b, i));
        }

        var sum = Vector256.Sum(acc);
        for (; i < length; i++)
        {
            sum = Step(sum, Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
        }

        return sum;
    }

    /// <summary>One query against rows r .. r+7; writes scores[0..7]. Eight chains keep two FMAs in flight per cycle.</summary>
    private static void Tile1x8<TRows>(ref float query, ref float block, TRows rows, int r, int length, ref float scores)
        where TRows : IRowOffsets, allows ref struct
    {
        ref var r0 = ref Unsafe.Add(ref block, rows.Offset(r));
        ref var r1 = ref Unsafe.Add(ref block, rows.Offset(r + 1));
        ref var r2 = ref Unsafe.Add(ref block, rows.Offset(r + 2));
        ref var r3 = ref Unsafe.Add(ref block, rows.Offset(r + 3));
        ref var r4 = ref Unsafe.Add(ref block, rows.Offset(r + 4));
        ref var r5 = ref Unsafe.Add(ref block, rows.Offset(r + 5));
        ref var r6 = ref Unsafe.Add(ref block, rows.Offset(r + 6));
        ref var r7 = ref Unsafe.Add(ref block, rows.Offset(r + 7));
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var acc4 = Vector256<float>.Zero;
        var acc5 = Vector256<float>.Zero;
        var acc6 = Vector256<float>.Zero;
        var acc7 = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - Width; i += Width)
        {
            var q = Load(ref query, i);
            acc0 = Step(acc0, q, Load(ref r0, i));
            acc1 = Step(acc1, q, Load(ref r1, i));
            acc2 = Step(acc2, q, Load(ref r2, i));
            acc3 = Step(acc3, q, Load(ref r3, i));
            acc4 = Step(acc4, q, Load(ref r4, i));
            acc5 = Step(acc5, q, Load(ref r5, i));
            acc6 = Step(acc6, q, Load(ref r6, i));
            acc7 = Step(acc7, q, Load(ref r7, i));
        }

        var s0 = Vector256.Sum(acc0);
        var s1 = Vector256.Sum(acc1);
        var s2 = Vector256.Sum(acc2);
        var s3 = Vector256.Sum(acc3);
        var s4 = Vector256.Sum(acc4);
        var s5 = Vector256.Sum(acc5);
        var s6 = Vector256.Sum(acc6);
        var s7 = Vector256.Sum(acc7);
        for (; i < length; i++)
        {
            var q = Unsafe.Add(ref query, i);
            s0 = Step(s0, q, Unsafe.Add(ref r0, i));
            s1 = Step(s1, q, Unsafe.Add(ref r1, i));
            s2 = Step(s2, q, Unsafe.Add(ref r2, i));
            s3 = Step(s3, q, Unsafe.Add(ref r3, i));
            s4 = Step(s4, q, Unsafe.Add(ref r4, i));
            s5 = Step(s5, q, Unsafe.Add(ref r5, i));
            s6 = Step(s6, q, Unsafe.Add(ref r6, i));
            s7 = Step(s7, q, Unsafe.Add(ref r7, i));
        }

        scores = s0;
        Unsafe.Add(ref scores, 1) = s1;
        Unsafe.Add(ref scores, 2) = s2;
        Unsafe.Add(ref scores, 3) = s3;
        Unsafe.Add(ref scores, 4) = s4;
        Unsafe.Add(ref scores, 5) = s5;
        Unsafe.Add(ref scores, 6) = s6;
        Unsafe.Add(ref scores, 7) = s7;
    }

    /// <summary>One query against four rows; writes scores[0..3].</summary>
    private static void Tile1x4(ref float query, ref float r0, ref float r1, ref float r2, ref float r3, int length,
        ref float scores)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - Width; i += Width)
        {
            var q = Load(ref query, i);
            acc0 = Step(acc0, q, Load(ref r0, i));
            acc1 = Step(acc1, q, Load(ref r1, i));
            acc2 = Step(acc2, q, Load(ref r2, i));
            acc3 = Step(acc3, q, Load(ref r3, i));
        }

        var s0 = Vector256.Sum(acc0);
        var s1 = Vector256.Sum(acc1);
        var s2 = Vector256.Sum(acc2);
        var s3 = Vector256.Sum(acc3);
        for (; i < length; i++)
        {
            var q = Unsafe.Add(ref query, i);
            s0 = Step(s0, q, Unsafe.Add(ref r0, i));
            s1 = Step(s1, q, Unsafe.Add(ref r1, i));
            s2 = Step(s2, q, Unsafe.Add(ref r2, i));
            s3 = Step(s3, q, Unsafe.Add(ref r3, i));
        }

        scores = s0;
        Unsafe.Add(ref scores, 1) = s1;
        Unsafe.Add(ref scores, 2) = s2;
        Unsafe.Add(ref scores, 3) = s3;
    }

    /// <summary>Four queries against two rows; each query's two scores go to its own score row (sa..sd).</summary>
    private static void Tile4x2(ref float qa, ref float qb, ref float qc, ref float qd, ref float r0, ref float r1,
        int length, ref float sa, ref float sb, ref float sc, ref float sd)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var b0 = Vector256<float>.Zero;
        var b1 = Vector256<float>.Zero;
        var c0 = Vector256<float>.Zero;
        var c1 = Vector256<float>.Zero;
        var d0 = Vector256<float>.Zero;
        var d1 = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - Width; i += Width)
        {
            var x0 = Load(ref r0, i);
            var x1 = Load(ref r1, i);
            var q = Load(ref qa, i);
            a0 = Step(a0, q, x0);
            a1 = Step(a1, q, x1);
            q = Load(ref qb, i);
            b0 = Step(b0, q, x0);
            b1 = Step(b1, q, x1);
            q = Load(ref qc, i);
            c0 = Step(c0, q, x0);
            c1 = Step(c1, q, x1);
            q = Load(ref qd, i);
            d0 = Step(d0, q, x0);
            d1 = Step(d1, q, x1);
        }

        var sa0 = Vector256.Sum(a0);
        var sa1 = Vector256.Sum(a1);
        var sb0 = Vector256.Sum(b0);
        var sb1 = Vector256.Sum(b1);
        var sc0 = Vector256.Sum(c0);
        var sc1 = Vector256.Sum(c1);
        var sd0 = Vector256.Sum(d0);
        var sd1 = Vector256.Sum(d1);
        for (; i < length; i++)
        {
            var x0 = Unsafe.Add(ref r0, i);
            var x1 = Unsafe.Add(ref r1, i);
            sa0 = Step(sa0, Unsafe.Add(ref qa, i), x0);
            sa1 = Step(sa1, Unsafe.Add(ref qa, i), x1);
            sb0 = Step(sb0, Unsafe.Add(ref qb, i), x0);
            sb1 = Step(sb1, Unsafe.Add(ref qb, i), x1);
            sc0 = Step(sc0, Unsafe.Add(ref qc, i), x0);
            sc1 = Step(sc1, Unsafe.Add(ref qc, i), x1);
            sd0 = Step(sd0, Unsafe.Add(ref qd, i), x0);
            sd1 = Step(sd1, Unsafe.Add(ref qd, i), x1);
        }

        sa = sa0;
        Unsafe.Add(ref sa, 1) = sa1;
        sb = sb0;
        Unsafe.Add(ref sb, 1) = sb1;
        sc = sc0;
        Unsafe.Add(ref sc, 1) = sc1;
        sd = sd0;
        Unsafe.Add(ref sd, 1) = sd1;
    }
}
