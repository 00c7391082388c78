using System.Diagnostics;
using System.Globalization;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench index</c> was asked to measure.</summary>
/// <param name="BasePath">.fvecs file of the vectors to index; vector i becomes product "i".</param>
/// <param name="QueriesPath">.fvecs file of the queries.</param>
/// <param name="TruthPath">.ivecs file of each query's true neighbours (base row numbers, best first); null to compute them exactly.</param>
/// <param name="K">Results per query, and the depth of recall.</param>
/// <param name="Index">The index to build.</param>
/// <param name="Settings">Per-query settings to measure, one result each, all on one build.</param>
/// <param name="Threads">Query thread counts to measure, one result per setting each, on the same build (e.g. 1 and 2).</param>
/// <param name="Metric">How vectors are compared; the truth file must have been made with the same metric.</param>
/// <param name="BuildThreads">Threads linking the HNSW graph (<see cref="HnswIndex.UpsertMany"/>); the other indexes build on one.</param>
internal sealed record IndexBenchmarkOptions(
    string BasePath, string QueriesPath, string? TruthPath, int K, BenchIndexKind Index,
    IReadOnlyList<BenchSetting> Settings, IReadOnlyList<int> Threads, DistanceMetric Metric, int BuildThreads = 1);

/// <summary>
/// Builds one index in-process with the shards' own code, runs every query under each setting and measures
/// build time, throughput, latency, recall and memory per vector.
/// </summary>
internal static class IndexBenchmark
{
    // Before each setting is measured, queries are answered untimed for at least this many queries and this
    // long: tiered compilation swaps in optimised code only after ~30 calls and a quiet 100 ms, and until then
    // a scan runs its slower first-tier (or on-stack-replaced) form.
    private const int WarmUpQueries = 32;
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(1);

    private delegate IReadOnlyList<IndexHit> Searcher(ReadOnlySpan<float> query, int k, BenchSetting setting);

    /// <summary>Yields each setting's result as soon as it is measured.</summary>
    /// <exception cref="BenchInputException">The files do not fit together.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or inconsistent.</exception>
    /// <param name="options">What to measure.</param>
    /// <param name="note">Receives lines for a person beside the results (stderr), such as the heap an index took.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static IEnumerable<BenchResult> Run(IndexBenchmarkOptions options, Action<string> note, CancellationToken cancellationToken)
    {
        if (options.Index == BenchIndexKind.Int8 && options.Metric == DistanceMetric.L1)
        {
            throw new BenchInputException("--index int8 supports --metric cosine, dot or l2, not l1.");
        }

        if (options.Index == BenchIndexKind.HnswInt8 && options.Metric is not (DistanceMetric.Cosine or DistanceMetric.Dot))
        {
            throw new BenchInputException("--index hnsw-int8 supports --metric cosine or dot.");
        }

        var vectors = Fvecs.ReadFloatBlock(options.BasePath);
        var queries = Fvecs.ReadFloatBlock(options.QueriesPath);
        if (vectors.Count == 0 || queries.Count == 0)
        {
            throw new BenchInputException(
                $"'{(vectors.Count == 0 ? options.BasePath : options.QueriesPath)}' holds no vectors.");
        }

        if (queries.Dimension != vectors.Dimension)
        {
            throw new BenchInputException(
                $"The queries have dimension {queries.Dimension} but the base vectors {vectors.Dimension}.");
        }

        var truth = options.TruthPath is null ? null : ReadTruth(options.TruthPath, queries.Count, options.K);
        var ids = ProductIds(vectors.Count);

        var build = Stopwatch.StartNew();
        var (search, bytesPerVector, flat) = Build(options, vectors, ids, note);
        build.Stop();

        cancellationToken.ThrowIfCancellationRequested();
        var reference = truth ?? ExactNeighbours(flat ?? BuildFlat(options.Metric, vectors, ids), queries, options.K,
            options.Threads.Max(), cancellationToken);

        foreach (var setting in options.Settings)
        {
            var warmUp = Stopwatch.StartNew();
            for (var q = 0; q < WarmUpQueries || warmUp.Elapsed < WarmUpTime; q++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                search(queries[q % queries.Count], options.K, setting);
            }

            foreach (var threads in options.Threads)
            {
                var run = QueryRunner.Run(queries.Count, threads,
                    q => search(queries[q], options.K, setting), cancellationToken);

                yield return new BenchResult(
                    options.Index.Name(),
                    setting.Describe(),
                    threads,
                    Math.Round(build.Elapsed.TotalSeconds, 3),
                    Math.Round(run.QueriesPerSecond, 1),
                    Math.Round(run.LatencyPercentileMs(0.50), 3),
                    Math.Round(run.LatencyPercentileMs(0.99), 3),
                    Math.Round(Recall(run.Hits, reference, options.K, vectors.Count), 4),
                    bytesPerVector);
            }
        }
    }

    /// <summary>
    /// Mean over queries of the share of the true top k found in the answer. The denominator is k, or the
    /// base size when that is smaller (a query cannot find more neighbours than exist).
    /// </summary>
    internal static double Recall(IReadOnlyList<IndexHit>[] hits, int[][] reference, int k, int baseCount)
    {
        var depth = Math.Min(k, baseCount);
        var sum = 0.0;
        for (var q = 0; q < hits.Length; q++)
        {
            var wanted = reference[q].Take(depth).ToHashSet();
            var found = hits[q].Count(hit => wanted.Contains(int.Parse(hit.ProductId, CultureInfo.InvariantCulture)));
            sum += (double)found / depth;
        }

        return sum / hits.Length;
    }

    private static (Searcher Search, int BytesPerVector, FlatVectorIndex? Flat) Build(
        IndexBenchmarkOptions options, VectorBlock<float> vectors, string[] ids, Action<string> note)
    {
        if (options.Index == BenchIndexKind.Flat)
        {
            var flat = BuildFlat(options.Metric, vectors, ids);
            return ((query, k, _) => flat.Search(query, k), vectors.Dimension * sizeof(float), flat);
        }

        if (options.Index is BenchIndexKind.Hnsw or BenchIndexKind.HnswInt8)
        {
            var hnsw = new HnswIndex(vectors.Dimension, options.Metric, options.Settings[0].Hnsw);
            var products = new ProductToIndex[vectors.Count];
            for (var i = 0; i < vectors.Count; i++)
            {
                products[i] = new ProductToIndex(ids[i], Category: null, vectors.Values.AsMemory(i * vectors.Dimension, vectors.Dimension));
            }

            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            hnsw.UpsertMany(products, options.BuildThreads);
            products = null;
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

            // The index's own count (vectors and links) goes in the result; the managed heap's growth over the
            // build also counts products, ids' dictionary and spare array capacity: what a shard would hold.
            note(string.Create(CultureInfo.InvariantCulture,
                $"{options.Index.Name()}: the build grew the managed heap by {(heapAfter - heapBefore) / 1e6:F1} MB, {(double)(heapAfter - heapBefore) / vectors.Count:F0} bytes per vector"));

            return ((query, k, setting) => hnsw.Search(query, k, category: null, setting.Ef ?? HnswIndex.DefaultEf),
                hnsw.BytesPerVector, null);
        }

        var int8 = new Int8VectorIndex(vectors.Dimension, options.Metric);
        for (var i = 0; i < vectors.Count; i++)
        {
            int8.Upsert(ids[i], category: null, vectors[i]);
        }

        return ((query, k, setting) => int8.Search(query, k, category: null, setting.Rerank ?? Int8VectorIndex.DefaultRerank),
            int8.BytesPerVector, null);
    }

    private static FlatVectorIndex BuildFlat(DistanceMetric metric, VectorBlock<float> vectors, string[] ids)
    {
        var flat = new FlatVectorIndex(vectors.Dimension, metric);
        for (var i = 0; i < vectors.Count; i++)
        {
            flat.Upsert(ids[i], category: null, vectors[i]);
        }

        return flat;
    }

    /// <summary>Each query's exact top <paramref name="k"/> as base row numbers, best first.</summary>
    internal static int[][] ExactNeighbours(FlatVectorIndex flat, VectorBlock<float> queries, int k, int threads,
        CancellationToken cancellationToken)
    {
        var run = QueryRunner.Run(queries.Count, threads, q => flat.Search(queries[q], k), cancellationToken);
        return [.. run.Hits.Select(hits => hits.Select(hit => int.Parse(hit.ProductId, CultureInfo.InvariantCulture)).ToArray())];
    }

    /// <summary>Product ids "0", "1", … so that a hit maps back to its base row and truth file entry.</summary>
    internal static string[] ProductIds(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static int[][] ReadTruth(string path, int queryCount, int k)
    {
        var truth = Fvecs.ReadIntBlock(path);
        if (truth.Count < queryCount)
        {
            throw new BenchInputException($"'{path}' has neighbours for {truth.Count} queries but there are {queryCount}.");
        }

        if (truth.Dimension < k)
        {
            throw new BenchInputException(
                $"'{path}' lists {truth.Dimension} neighbours per query; --k {k} needs at least {k}.");
        }

        return [.. Enumerable.Range(0, queryCount).Select(q => truth[q].ToArray())];
    }
}
