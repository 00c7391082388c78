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
/// <para>Worked example with K = <see cref="WalkToScanCost"/> = 5 and ef 64: at n = 100,000 the scan wins below
/// √(5·64·100,000) ≈ 5,657 matching rows (5.7 %); at n = 1,000,000 below ≈ 17,900 (1.8 %).</para>
/// <para>K is calibrated by <c>outfit bench filter --metadata</c> (docs/benchmarks.md, "Filtered search"): each size's
/// measured crossover m* gives K = m*² / (ef·n). On a busy 2-core machine 30,000 rows gave 9.7 and 100,000 gave 2.7;
/// K was set to their geometric mean, and a million rows on a quiet machine then gave 4.6 and 3.9 at ef 64 and 3.0
/// at ef 128 (crossover at 15,700–17,100 rows against the 17,900 predicted). Recall does not depend on the pick: the
/// scan is exact and the walk goes on until it holds ef matching rows.</para>
/// </remarks>
public static class FilterCost
{
    /// <summary>
    /// K of the model: a walk's cost per row it keeps, over a scan's cost per row it scores, with the walk's extra
    /// rows per kept row folded in. Measured (see the class remarks): the geometric mean of 2.73 (100,000 rows) and
    /// 9.69 (30,000 rows); a million rows gave 3.0–4.6.
    /// </summary>
    public const double WalkToScanCost = 5.0;

    /// <summary>Whether scanning <paramref name="matchingRows"/> exactly costs less than a walk of width <paramref name="ef"/>.</summary>
    /// <param name="matchingRows">Rows (image vectors) that pass the filter, exact or estimated.</param>
    /// <param name="liveRows">Rows the shard holds.</param>
    /// <param name="ef">The walk's width (candidates kept).</param>
    public static bool PreferScan(long matchingRows, long liveRows, int ef) =>
        liveRows == 0 || (double)matchingRows * matchingRows < WalkToScanCost * Math.Max(1, ef) * liveRows;

    /// <summary>The matching rows below which <see cref="PreferScan"/> scans, for reports: √(K·ef·n).</summary>
    public static double CrossoverRows(long liveRows, int ef) => Math.Sqrt(WalkToScanCost * Math.Max(1, ef) * liveRows);
}
