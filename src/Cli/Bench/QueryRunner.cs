using System.Diagnostics;
using System.Runtime.ExceptionServices;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Cli.Bench;

/// <summary>The answers to every query of a run, each query's latency, and the run's wall time.</summary>
internal sealed record QueryRun(IReadOnlyList<IndexHit>[] Hits, double[] LatenciesMs, double WallSeconds)
{
    /// <summary>Queries per second of wall time.</summary>
    public double QueriesPerSecond => Hits.Length / WallSeconds;

    /// <summary>
    /// Nearest-rank percentile of the latencies: the smallest latency that at least
    /// <paramref name="fraction"/> of the queries did not exceed. Example: of 200 queries, p99 is the 198th fastest.
    /// </summary>
    public double LatencyPercentileMs(double fraction)
    {
        var sorted = LatenciesMs.Order().ToArray();
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Runs a set of queries on dedicated threads, each taking the next query until none are left.</summary>
internal static class QueryRunner
{
    /// <summary>
    /// Answers queries 0 .. <paramref name="queryCount"/>−1 with <paramref name="search"/> on
    /// <paramref name="threads"/> threads. Dedicated threads rather than the thread pool, so that N threads
    /// are busy from the first query instead of after the pool has grown.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before every query was answered.</exception>
    public static QueryRun Run(int queryCount, int threads, Func<int, IReadOnlyList<IndexHit>> search,
        CancellationToken cancellationToken)
    {
        var hits = new IReadOnlyList<IndexHit>[queryCount];
        var latencies = new double[queryCount];
        var next = -1;
        Exception? failure = null;

        void Work()
        {
            try
            {
                int query;
                while ((query = Interlocked.Increment(ref next)) < queryCount && !cancellationToken.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    hits[query] = search(query);
                    latencies[query] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
                Interlocked.Exchange(ref next, queryCount);
            }
        }

        var workers = Enumerable.Range(0, Math.Clamp(threads, 1, Math.Max(1, queryCount)))
            .Select(i => new Thread(Work) { IsBackground = true, Name = $"bench-query-{i}" })
            .ToArray();
        var wall = Stopwatch.StartNew();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        wall.Stop();
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new QueryRun(hits, latencies, wall.Elapsed.TotalSeconds);
    }
}
