namespace OutfitFinder.Core.Search;

/// <summary>
/// Chooses how a graph-indexed shard answers a filtered search: scan the matching rows exactly, or walk the graph
/// keeping only matching rows. Decided per query from the rows that match, the rows held and the walk's width.
/// </summary>
/// <remarks>
/// <para>The model. A scan scores every matching row: cost ∝ m (m matching rows of n). A walk stops once it has
/// kept ef matching rows; matches are spread through the graph, so it scores about ef / (m / n) rows: cost ∝ ef·n/m.
/// The two meet where m² = K·ef·n, so the scan wins below m = √(K·ef·n): a share of the rows that <b>falls</b> as the
/// shard grows (1/√n), which is why a fixed fraction was right only at the size it was measured at.</para>
/// <para>Worked example with K = <see cref="WalkToScanCost"/>: at n = 100,000 and ef 64 the crossover is
/// m = √(K·64·100,000); at n = 1,000,000 it is √10 ≈ 3.2 times as many rows, a share √10 times smaller.</para>
/// <para>K is calibrated by <c>outfit bench filter</c> at two shard sizes (docs/benchmarks.md, "Filtered search"):
/// each size's measured crossover m* gives K = m*² / (ef·n).</para>
/// </remarks>
public static class FilterCost
{
    /// <summary>
    /// K of the model: a walk's cost per row it keeps, over a scan's cost per row it scores, with the walk's extra
    /// rows per kept row folded in. Measured (see the class remarks).
    /// </summary>
    public const double WalkToScanCost = 9.0;

    /// <summary>Whether scanning <paramref name="matchingRows"/> exactly costs less than a walk of width <paramref name="ef"/>.</summary>
    /// <param name="matchingRows">Rows (image vectors) that pass the filter, exact or estimated.</param>
    /// <param name="liveRows">Rows the shard holds.</param>
    /// <param name="ef">The walk's width (candidates kept).</param>
    public static bool PreferScan(long matchingRows, long liveRows, int ef) =>
        liveRows == 0 || (double)matchingRows * matchingRows < WalkToScanCost * Math.Max(1, ef) * liveRows;

    /// <summary>The matching rows below which <see cref="PreferScan"/> scans, for reports: √(K·ef·n).</summary>
    public static double CrossoverRows(long liveRows, int ef) => Math.Sqrt(WalkToScanCost * Math.Max(1, ef) * liveRows);
}
