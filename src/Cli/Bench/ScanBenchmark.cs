using System.Diagnostics;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench scan</c> was asked to measure.</summary>
/// <param name="BasePath">.fvecs file of the vectors to scan.</param>
/// <param name="QueriesPath">.fvecs file of queries; null to use the first base vectors.</param>
/// <param name="K">Results per query of the index searches.</param>
/// <param name="Batches">Batch sizes for the batched kernel and <see cref="FlatVectorIndex.SearchBatch"/>.</param>
/// <param name="Seconds">Measuring time per group of cases, after as long again of warm-up.</param>
internal sealed record ScanBenchmarkOptions(string BasePath, string? QueriesPath, int K, IReadOnlyList<int> Batches, double Seconds);

/// <summary>
/// One line of <c>outfit bench scan</c>. Bandwidth cases read every vector once per pass; batched cases score
/// <see cref="Batch"/> queries per pass.
/// </summary>
/// <param name="Case">stream (a plain SIMD sum of the vectors), kernel (one query's dot products with every vector,
/// <see cref="DotKernels.DotRows"/>), search (<see cref="FlatVectorIndex.Search"/>: kernel, per-product best and
/// top-k heap), batch-kernel (<see cref="DotKernels.DotBatch(ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float})"/>)
/// or batch-search (<see cref="FlatVectorIndex.SearchBatch"/>).</param>
/// <param name="Batch">Queries per pass.</param>
/// <param name="Vectors">Vectors read per pass.</param>
/// <param name="Dimension">Values per vector.</param>
/// <param name="MsPerPass">Median wall time of one pass.</param>
/// <param name="GbPerSecond">Vector bytes read per second (10⁹ bytes), at the median.</param>
/// <param name="VsStream">GbPerSecond over the stream case's, measured in the same rounds.</param>
/// <param name="Gflops">Multiply-adds counted as 2 operations: 2 × batch × vectors × dimension per pass, 10⁹/s.</param>
/// <param name="Qps">Queries answered per second (batch / pass time).</param>
/// <param name="Passes">Passes timed.</param>
internal sealed record ScanResult(
    string Case, int Batch, int Vectors, int Dimension, double MsPerPass, double GbPerSecond, double VsStream,
    double Gflops, double Qps, int Passes);

/// <summary>
/// Measures the exact scan against the memory it reads, single-threaded: a plain streaming sum of the
/// vector block sets the ceiling, and the dot-product kernel and the flat index's search over the same
/// vectors are reported as a share of it. Then the batched kernel and batched search, in GFLOP/s.
/// </summary>
internal static class ScanBenchmark
{
    /// <exception cref="BenchInputException">The files do not fit together.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or inconsistent.</exception>
    public static IEnumerable<ScanResult> Run(ScanBenchmarkOptions options, CancellationToken cancellationToken)
    {
        var vectors = Fvecs.ReadFloatBlock(options.BasePath);
        if (vectors.Count == 0)
        {
            throw new BenchInputException($"'{options.BasePath}' holds no vectors.");
        }

        var dimension = vectors.Dimension;
        var largestBatch = options.Batches.Max();
        var queries = ReadQueries(options, vectors, largestBatch);

        // Unit vectors, as a cosine shard stores them, so the kernel and the index read the same kind of values.
        var values = vectors.Values;
        for (var i = 0; i < vectors.Count; i++)
        {
            NormaliseInPlace(values.AsSpan(i * dimension, dimension));
        }

        var flat = new FlatVectorIndex(dimension, DistanceMetric.Cosine);
        var ids = IndexBenchmark.ProductIds(vectors.Count);
        for (var i = 0; i < vectors.Count; i++)
        {
            flat.Upsert(ids[i], category: null, vectors[i]);
        }

        var bytes = (double)values.Length * sizeof(float);
        var scores = new float[vectors.Count * largestBatch];
        var sink = 0f;
        var query = queries.AsSpan(0, dimension).ToArray();

        // The three bandwidth cases run in turn, round after round, so that load from elsewhere hits them alike.
        Action[] bandwidth =
        [
            () => sink += DotKernels.Sum(values),
            () => DotKernels.DotRows(query, values, scores.AsSpan(0, vectors.Count)),
            () => sink += flat.Search(query, options.K).Count,
        ];
        var times = Measure(bandwidth, options.Seconds, cancellationToken);
        var stream = Median(times[0]);
        string[] names = ["stream", "kernel", "search"];
        for (var c = 0; c < names.Length; c++)
        {
            var ms = Median(times[c]);
            yield return Result(names[c], 1, vectors.Count, dimension, ms, bytes, stream, times[c].Count);
        }

        foreach (var batch in options.Batches)
        {
            var batchQueries = queries.AsMemory(0, batch * dimension);
            Action[] batched =
            [
                () => sink += DotKernels.Sum(values),
                () => DotKernels.DotBatch(batchQueries.Span, dimension, values, scores.AsSpan(0, batch * vectors.Count)),
                () => sink += flat.SearchBatch(batchQueries.Span, options.K).Length,
            ];
            var batchTimes = Measure(batched, options.Seconds, cancellationToken);
            var batchStream = Median(batchTimes[0]);
            yield return Result("batch-kernel", batch, vectors.Count, dimension, Median(batchTimes[1]), bytes, batchStream, batchTimes[1].Count);
            yield return Result("batch-search", batch, vectors.Count, dimension, Median(batchTimes[2]), bytes, batchStream, batchTimes[2].Count);
        }

        GC.KeepAlive(sink);
    }

    private static float[] ReadQueries(ScanBenchmarkOptions options, VectorBlock<float> vectors, int count)
    {
        var source = options.QueriesPath is null ? vectors : Fvecs.ReadFloatBlock(options.QueriesPath);
        if (source.Dimension != vectors.Dimension && source.Count > 0)
        {
            throw new BenchInputException($"The queries have dimension {source.Dimension} but the base vectors {vectors.Dimension}.");
        }

        if (source.Count < count)
        {
            throw new BenchInputException(
                $"A batch of {count} needs {count} queries; '{options.QueriesPath ?? options.BasePath}' holds {source.Count}.");
        }

        var queries = source.Values.AsSpan(0, count * vectors.Dimension).ToArray();
        for (var q = 0; q < count; q++)
        {
            NormaliseInPlace(queries.AsSpan(q * vectors.Dimension, vectors.Dimension));
        }

        return queries;
    }

    private static ScanResult Result(string name, int batch, int count, int dimension, double ms, double bytes, double streamMs, int passes)
    {
        var seconds = ms / 1000;
        return new ScanResult(
            name, batch, count, dimension,
            Math.Round(ms, 3),
            Math.Round(bytes / seconds / 1e9, 2),
            Math.Round(streamMs / ms, 3),
            Math.Round(2.0 * batch * count * dimension / seconds / 1e9, 2),
            Math.Round(batch / seconds, 1),
            passes);
    }

    /// <summary>
    /// Runs the cases in turn until <paramref name="seconds"/> have passed (after as long again untimed, for
    /// tiered compilation), and returns each case's pass times in milliseconds.
    /// </summary>
    private static List<double>[] Measure(Action[] cases, double seconds, CancellationToken cancellationToken)
    {
        var times = cases.Select(_ => new List<double>()).ToArray();
        foreach (var timed in new[] { false, true })
        {
            var clock = Stopwatch.StartNew();
            do
            {
                for (var c = 0; c < cases.Length; c++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var started = Stopwatch.GetTimestamp();
                    cases[c]();
                    if (timed)
                    {
                        times[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
            }
            while (clock.Elapsed.TotalSeconds < seconds);
        }

        return times;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static void NormaliseInPlace(Span<float> vector)
    {
        var norm = MathF.Sqrt(DotKernels.Dot(vector, vector));
        if (norm > 0)
        {
            foreach (ref var value in vector)
            {
                value /= norm;
            }
        }
    }
}
