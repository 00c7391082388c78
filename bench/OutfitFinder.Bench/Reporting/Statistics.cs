namespace OutfitFinder.Bench.Reporting;

/// <summary>Order statistics of timed samples.</summary>
internal static class Statistics
{
    /// <summary>The middle value; the mean of the two middle values for an even count.</summary>
    public static double Median(IReadOnlyCollection<double> samples)
    {
        var sorted = Sorted(samples);
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// Nearest-rank percentile: the smallest sample with at least <paramref name="percent"/> % of the
    /// samples at or below it, so it is always a value that was measured. Example: 300 samples,
    /// p99 is the 297th smallest (rank ⌈0.99 × 300⌉), i.e. the fourth largest.
    /// </summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double percent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var sorted = Sorted(samples);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Max(rank, 1) - 1];
    }

    private static double[] Sorted(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No samples were taken.", nameof(samples));
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}
