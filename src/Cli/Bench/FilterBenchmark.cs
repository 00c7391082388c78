using System.Diagnostics;
using System.Globalization;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench filter</c> was asked to measure.</summary>
/// <param name="BasePath">.fvecs file of the vectors to index; vector i becomes product "i".</param>
/// <param name="QueriesPath">.fvecs file of the queries.</param>
/// <param name="K">Results per query, and the depth of recall.</param>
/// <param name="Shares">Each category's share of the rows, in (0, 1], summing to at most 1; the rest of the rows
/// go to a category no query asks for.</param>
/// <param name="Efs">Graph walk widths to measure.</param>
/// <param name="Metric">How vectors are compared.</param>
/// <param name="Hnsw">Build parameters of the one graph all cases share.</param>
/// <param name="BuildThreads">Threads linking the graph.</param>
internal sealed record FilterBenchmarkOptions(
    string BasePath, string QueriesPath, int K, IReadOnlyList<double> Shares, IReadOnlyList<int> Efs,
    DistanceMetric Metric, HnswOptions Hnsw, int BuildThreads);

/// <summary>
/// One filtered case: a category holding <see cref="Share"/> of the rows, answered by walking the graph (at one ef)
/// or by scanning the category's rows exactly.
/// </summary>
/// <param name="Share">The category's share of the rows, as asked.</param>
/// <param name="Rows">Rows the category holds.</param>
/// <param name="Strategy">"walk" or "scan".</param>
/// <param name="Ef">The walk's width; null for the scan.</param>
/// <param name="Qps">Queries per second on one thread.</param>
/// <param name="P50Ms">Median latency, in milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency, in milliseconds.</param>
/// <param name="Recall">Mean share of the category's exact top k found.</param>
internal sealed record FilterResult(double Share, int Rows, string Strategy, int? Ef, double Qps, double P50Ms, double P99Ms, double Recall);

/// <summary>
/// Measures where a filtered search should switch from walking the graph to scanning the category's rows: one graph
/// over the base vectors, rows given categories of the asked shares, every query asked of every category both
/// ways, recall against the exact filtered answer.
/// </summary>
internal static class FilterBenchmark
{
    private const int WarmUpQueries = 32;

    /// <summary>Yields each case as soon as it is measured: per share, the scan, then the walk at each ef.</summary>
    /// <exception cref="BenchInputException">The files do not fit together.</exception>
    public static IEnumerable<FilterResult> Run(FilterBenchmarkOptions options, Action<string> note, CancellationToken cancellationToken)
    {
        var vectors = Fvecs.ReadFloatBlock(options.BasePath);
        var queries = Fvecs.ReadFloatBlock(options.QueriesPath);
        if (vectors.Count == 0 || queries.Count == 0)
        {
            throw new BenchInputException($"'{(vectors.Count == 0 ? options.BasePath : options.QueriesPath)}' holds no vectors.");
        }

        if (queries.Dimension != vectors.Dimension)
        {
            throw new BenchInputException($"The queries have dimension {queries.Dimension} but the base vectors {vectors.Dimension}.");
        }

        var categories = new string[vectors.Count];
        var rowsPerCategory = new int[options.Shares.Count];
        for (var i = 0; i < vectors.Count; i++)
        {
            var slot = CategorySlot(i, options.Shares);
            categories[i] = slot < 0 ? "rest" : CategoryName(slot);
            if (slot >= 0)
            {
                rowsPerCategory[slot]++;
            }
        }

        var ids = IndexBenchmark.ProductIds(vectors.Count);
        var flat = new FlatVectorIndex(vectors.Dimension, options.Metric);
        var products = new ProductToIndex[vectors.Count];
        for (var i = 0; i < vectors.Count; i++)
        {
            flat.Upsert(ids[i], categories[i], vectors[i]);
            products[i] = new ProductToIndex(ids[i], categories[i], vectors.Values.AsMemory(i * vectors.Dimension, vectors.Dimension));
        }

        var build = Stopwatch.StartNew();
        var hnsw = new HnswIndex(vectors.Dimension, options.Metric, options.Hnsw);
        hnsw.UpsertMany(products, options.BuildThreads);
        note(string.Create(CultureInfo.InvariantCulture,
            $"graph of {vectors.Count} vectors built in {build.Elapsed.TotalSeconds:F1} s; Auto scans categories under {options.Hnsw.ExactFilterFraction:P0} of the rows"));

        for (var slot = 0; slot < options.Shares.Count; slot++)
        {
            var category = CategoryName(slot);
            var truth = QueryRunner.Run(queries.Count, 1, q => flat.Search(queries[q], options.K, category), cancellationToken);
            var reference = truth.Hits.Select(hits => hits.Select(hit => hit.ProductId).ToHashSet(StringComparer.Ordinal)).ToArray();

            yield return Measure(options, slot, rowsPerCategory[slot], "scan", ef: null, reference, queries,
                q => hnsw.Search(queries[q], options.K, category, filter: HnswFilterStrategy.Scan), cancellationToken);
            foreach (var ef in options.Efs)
            {
                yield return Measure(options, slot, rowsPerCategory[slot], "walk", ef, reference, queries,
                    q => hnsw.Search(queries[q], options.K, category, ef, HnswFilterStrategy.Walk), cancellationToken);
            }
        }
    }

    /// <summary>Category "share-N" for the N-th share.</summary>
    private static string CategoryName(int slot) => string.Create(CultureInfo.InvariantCulture, $"share-{slot}");

    /// <summary>
    /// The share a row falls in, or −1 for the rest: a uniform draw from a hash of the row number laid over the
    /// shares end to end, so every category is a random sample of the clusters and the same file always splits alike.
    /// </summary>
    internal static int CategorySlot(int row, IReadOnlyList<double> shares)
    {
        var z = unchecked((ulong)row + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        var uniform = (z >> 11) * (1.0 / (1UL << 53));
        var edge = 0.0;
        for (var slot = 0; slot < shares.Count; slot++)
        {
            edge += shares[slot];
            if (uniform < edge)
            {
                return slot;
            }
        }

        return -1;
    }

    private static FilterResult Measure(FilterBenchmarkOptions options, int slot, int rows, string strategy, int? ef,
        HashSet<string>[] reference, VectorBlock<float> queries, Func<int, IReadOnlyList<IndexHit>> search,
        CancellationToken cancellationToken)
    {
        for (var q = 0; q < WarmUpQueries; q++)
        {
            search(q % queries.Count);
        }

        var run = QueryRunner.Run(queries.Count, 1, search, cancellationToken);
        var (found, wanted) = (0, 0);
        for (var q = 0; q < queries.Count; q++)
        {
            found += run.Hits[q].Count(hit => reference[q].Contains(hit.ProductId));
            wanted += reference[q].Count;
        }

        return new FilterResult(options.Shares[slot], rows, strategy, ef,
            Math.Round(run.QueriesPerSecond, 1),
            Math.Round(run.LatencyPercentileMs(0.50), 3),
            Math.Round(run.LatencyPercentileMs(0.99), 3),
            Math.Round(wanted == 0 ? 1.0 : (double)found / wanted, 4));
    }
}
