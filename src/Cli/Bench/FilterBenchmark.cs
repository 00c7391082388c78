using System.Diagnostics;
using System.Globalization;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench filter</c> was asked to measure.</summary>
/// <param name="BasePath">.fvecs file of the vectors to index; vector i becomes product "i".</param>
/// <param name="QueriesPath">.fvecs file of the queries.</param>
/// <param name="K">Results per query, and the depth of recall.</param>
/// <param name="Shares">Shares of the rows a filter keeps, in (0, 1]. With categories each share is its own category
/// (summing to at most 1; the rest go to a category no query asks for); with a metadata filter the shares nest.</param>
/// <param name="Efs">Graph walk widths to measure.</param>
/// <param name="Metric">How vectors are compared.</param>
/// <param name="Hnsw">Build parameters of the one graph all cases share.</param>
/// <param name="BuildThreads">Threads linking the graph.</param>
/// <param name="Metadata">Filter on a number field (row i holds a uniform value u; share s keeps u &lt; s, tested by
/// a predicate on the product id as a shard's field index does) instead of by category.</param>
internal sealed record FilterBenchmarkOptions(
    string BasePath, string QueriesPath, int K, IReadOnlyList<double> Shares, IReadOnlyList<int> Efs,
    DistanceMetric Metric, HnswOptions Hnsw, int BuildThreads, bool Metadata = false);

/// <summary>
/// One filtered case: a filter keeping <see cref="Share"/> of the rows, answered by walking the graph (at one ef)
/// or by scanning the matching rows exactly, as a shard does.
/// </summary>
/// <param name="Share">The filter's share of the rows, as asked.</param>
/// <param name="Rows">Rows the filter keeps.</param>
/// <param name="Strategy">"walk" or "scan".</param>
/// <param name="Ef">The walk's width; null for the scan.</param>
/// <param name="Qps">Queries per second on one thread.</param>
/// <param name="P50Ms">Median latency, in milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency, in milliseconds.</param>
/// <param name="Recall">Mean share of the exact filtered top k found.</param>
/// <param name="Chosen">For a walk: what <see cref="FilterCost"/> picks at this share and ef ("scan" or "walk").</param>
internal sealed record FilterResult(double Share, int Rows, string Strategy, int? Ef, double Qps, double P50Ms, double P99Ms, double Recall,
    string? Chosen = null);

/// <summary>
/// Measures where a filtered search should switch from walking the graph to scanning the matching rows: one graph
/// over the base vectors, rows given categories (or a number field) of the asked shares, every query asked of every
/// share both ways, recall against the exact filtered answer. The scan is the shard's: the matching products scored
/// exactly from the float vectors (<see cref="FlatVectorIndex.Rescore"/>).
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
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var ids = IndexBenchmark.ProductIds(vectors.Count);
        for (var i = 0; i < vectors.Count; i++)
        {
            var slot = options.Metadata ? -1 : CategorySlot(i, options.Shares);
            categories[i] = slot < 0 ? "rest" : CategoryName(slot);
            values[ids[i]] = Uniform(i);
        }

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
            $"graph of {vectors.Count} vectors built in {build.Elapsed.TotalSeconds:F1} s; FilterCost scans below {FilterCost.CrossoverRows(vectors.Count, Math.Max(options.Efs[0], options.K)):N0} matching rows at ef {options.Efs[0]}"));

        var measured = new List<FilterResult>();
        for (var slot = 0; slot < options.Shares.Count; slot++)
        {
            var share = options.Shares[slot];
            var category = options.Metadata ? null : CategoryName(slot);
            Func<string, bool>? predicate = options.Metadata ? id => values[id] < share : null;
            var matching = ids.Where((id, i) => options.Metadata ? values[id] < share : categories[i] == category).ToArray();
            var truth = QueryRunner.Run(queries.Count, 1, q => flat.Rescore(queries[q], matching, options.K), cancellationToken);
            var reference = truth.Hits.Select(hits => hits.Select(hit => hit.ProductId).ToHashSet(StringComparer.Ordinal)).ToArray();

            var scan = Measure(options, share, matching.Length, "scan", ef: null, null, reference, queries,
                q => flat.Rescore(queries[q], matching, options.K), cancellationToken);
            measured.Add(scan);
            yield return scan;
            foreach (var ef in options.Efs)
            {
                var chosen = FilterCost.PreferScan(matching.Length, vectors.Count, Math.Max(ef, options.K)) ? "scan" : "walk";
                var walk = Measure(options, share, matching.Length, "walk", ef, chosen, reference, queries,
                    q => hnsw.Search(queries[q], options.K, category, ef, HnswFilterStrategy.Walk, predicate), cancellationToken);
                measured.Add(walk);
                yield return walk;
            }
        }

        foreach (var ef in options.Efs)
        {
            NoteCrossover(measured, ef, vectors.Count, note);
        }
    }

    /// <summary>
    /// Where scan and walk cost the same at one ef: between the two shares where the faster one changes, by linear
    /// interpolation of log(QPS ratio) in log(rows); and the model constant it implies, K = m*² / (ef·n).
    /// </summary>
    private static void NoteCrossover(List<FilterResult> measured, int ef, int rowCount, Action<string> note)
    {
        var points = measured.Where(result => result.Strategy == "scan")
            .Select(scan => (scan.Rows, Ratio: Math.Log(scan.Qps / measured.First(walk => walk.Strategy == "walk" && walk.Ef == ef && walk.Share == scan.Share).Qps)))
            .Where(point => point.Rows > 0)
            .OrderBy(point => point.Rows).ToList();
        for (var i = 0; i + 1 < points.Count; i++)
        {
            var (low, high) = (points[i], points[i + 1]);
            if (low.Ratio >= 0 && high.Ratio < 0)
            {
                var t = low.Ratio / (low.Ratio - high.Ratio);
                var rows = Math.Exp(Math.Log(low.Rows) + (t * (Math.Log(high.Rows) - Math.Log(low.Rows))));
                note(string.Create(CultureInfo.InvariantCulture,
                    $"ef {ef}: scan and walk cost the same at about {rows:N0} rows ({rows / rowCount:P2} of {rowCount:N0}); K = m*^2/(ef*n) = {rows * rows / ((double)ef * rowCount):F2} (FilterCost uses {FilterCost.WalkToScanCost})"));
                return;
            }
        }

        note(string.Create(CultureInfo.InvariantCulture, $"ef {ef}: no crossover between the shares measured"));
    }

    /// <summary>Row i's value of the number field the metadata filter tests: uniform in [0, 1), from a hash of i.</summary>
    private static double Uniform(int row)
    {
        var z = unchecked((ulong)row * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
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

    private static FilterResult Measure(FilterBenchmarkOptions options, double share, int rows, string strategy, int? ef, string? chosen,
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

        return new FilterResult(share, rows, strategy, ef,
            Math.Round(run.QueriesPerSecond, 1),
            Math.Round(run.LatencyPercentileMs(0.50), 3),
            Math.Round(run.LatencyPercentileMs(0.99), 3),
            Math.Round(wanted == 0 ? 1.0 : (double)found / wanted, 4),
            chosen);
    }
}
