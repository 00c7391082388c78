using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OutfitFinder.Bench.Reporting;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Hosting;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Bench.Search;

/// <summary>What <c>memory</c> measures.</summary>
/// <param name="Vectors">Products in the catalog, one 512-float image vector each.</param>
/// <param name="Shards">Shards of the catalog.</param>
/// <param name="GraphVectors">The cluster's <c>Search:GraphVectors</c>.</param>
/// <param name="VectorStorage">The cluster's <c>Search:VectorStorage</c>.</param>
/// <param name="Queries">Queries whose recall and latency are measured after the memory figures.</param>
/// <param name="K">Results per query.</param>
/// <param name="Clusters">Clusters the synthetic vectors gather around.</param>
/// <param name="Seed">Seed of the vectors; the queries use seed + 1.</param>
/// <param name="TimeLimit">The whole command stops with an error after this long.</param>
/// <param name="Index">The cluster's <c>Search:Index</c>: Auto builds each graph in the background from 20,000 vectors on, Hnsw from the first.</param>
/// <param name="LimitMiB">When above 0, the queries are measured a second time after the process is put under a cgroup
/// memory limit of this many MiB (anonymous memory and page cache together), so the kernel must evict mapped vectors.</param>
/// <param name="Preload">The silo's <c>Extraction:Preload</c>: the models it loads at start (null: its default, ResNet18 twice over).</param>
internal sealed record MemorySettings(
    int Vectors, int Shards, HnswVectors GraphVectors, ShardVectorStorage VectorStorage, int Queries, int K, int Clusters, int Seed,
    TimeSpan TimeLimit, ShardIndexKind Index = ShardIndexKind.Auto, int LimitMiB = 0, IReadOnlyList<string>? Preload = null);

/// <summary>One <c>memory</c> run: what the silo process holds for the catalog, and what its answers are worth.</summary>
/// <param name="Benchmark">Always <c>memory</c>.</param>
/// <param name="Vectors">Products loaded, one vector each.</param>
/// <param name="Shards">Shards of the catalog.</param>
/// <param name="GraphVectors">The graphs' vectors: Float or Int8.</param>
/// <param name="VectorStorage">Where shards kept their float vectors.</param>
/// <param name="LoadSeconds">Sending every vector to its shard, each batch durably logged.</param>
/// <param name="GraphSeconds">From the end of the load until every shard answered from a saved graph.</param>
/// <param name="BaselineAnonMiB">Anonymous resident memory of the running silo before the catalog was created.</param>
/// <param name="CatalogAnonMiB">Anonymous resident memory the loaded catalog added (after full collections).</param>
/// <param name="PeakCatalogAnonMiB">The most anonymous memory the catalog added at any sample, load, builds and compactions included.</param>
/// <param name="HeapMiB">Live managed heap after full collections, the whole process.</param>
/// <param name="GcCommittedMiB">Memory the garbage collector holds committed after those collections (live heap, free space and its own tables).</param>
/// <param name="FileMiB">File-backed resident memory (the page cache's mapped vector rows), which the kernel may drop.</param>
/// <param name="FloatMiB">What the vectors take as floats: the memory an all-in-memory shard needs for them alone.</param>
/// <param name="Recall">Share of the exact top k found by the fan-out's answers.</param>
/// <param name="P50Ms">Median fan-out search latency, one query at a time.</param>
/// <param name="P99Ms">99th percentile of the same.</param>
/// <param name="Qps">Queries answered per second, one at a time.</param>
/// <param name="Limited">The same queries again under the memory limit; null without one, or when it could not be set.</param>
internal sealed record MemoryRun(
    string Benchmark, int Vectors, int Shards, string GraphVectors, string VectorStorage,
    double LoadSeconds, double GraphSeconds, double BaselineAnonMiB, double CatalogAnonMiB, double PeakCatalogAnonMiB,
    double HeapMiB, double GcCommittedMiB, double FileMiB, double FloatMiB, double Recall, double P50Ms, double P99Ms, double Qps, LimitedRun? Limited);

/// <summary>The queries answered again with the process under a cgroup memory limit.</summary>
/// <param name="LimitMiB">The limit on the cgroup the process entered as it started: anonymous memory and page cache together.</param>
/// <param name="AnonMiB">Anonymous resident memory of the whole process once limited.</param>
/// <param name="OutsideMiB">Anonymous memory the process held before it entered the group (the runtime's start), not charged to it.</param>
/// <param name="FileMiBBefore">File-backed resident memory just after the limit was set.</param>
/// <param name="FileMiBAfter">File-backed resident memory after the queries.</param>
/// <param name="Recall">Share of the exact top k found.</param>
/// <param name="P50Ms">Median fan-out search latency, one query at a time.</param>
/// <param name="P99Ms">99th percentile of the same.</param>
/// <param name="Qps">Queries answered per second, one at a time.</param>
internal sealed record LimitedRun(
    double LimitMiB, double AnonMiB, double OutsideMiB, double FileMiBBefore, double FileMiBAfter, double Recall, double P50Ms, double P99Ms, double Qps);

/// <summary>
/// <c>memory</c>: loads a catalog of clustered synthetic vectors into the embedded silo, waits until every shard
/// answers from its graph and has saved it, and reads what the process holds (Linux <c>/proc/self/status</c>),
/// sampling the peak throughout. Vectors are generated and sent in chunks and never kept, so the figures are the
/// silo's; recall is then measured against an exact scan of the regenerated chunks.
/// </summary>
internal static class ShardMemoryBenchmark
{
    private const string Catalog = "bench";
    private const int Dimension = 512;
    private const int ChunkSize = 4_000;
    private const double MiB = 1024 * 1024;

    public static async Task<int> RunAsync(MemorySettings settings, Report report, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            report.Line("The memory benchmark reads /proc/self/status and runs on Linux only.");
            return 2;
        }

        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeLimit.CancelAfter(settings.TimeLimit);
        report.Machine();
        var storage = Directory.CreateTempSubdirectory("outfit-bench-memory-");
        try
        {
            var run = await MeasureAsync(settings, report, storage.FullName, timeLimit.Token);
            Print(report, run);
            return 0;
        }
        catch (OperationCanceledException) when (timeLimit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            report.Line($"STOPPED: the run took longer than --time-limit ({settings.TimeLimit.TotalSeconds:F0} s); no figures are reported.");
            return 2;
        }
        finally
        {
            storage.Delete(recursive: true);
        }
    }

    private static async Task<MemoryRun> MeasureAsync(MemorySettings settings, Report report, string storageRoot, CancellationToken cancellationToken)
    {
        var space = new ClusteredVectors(Dimension, settings.Clusters, settings.Seed, ClusteredVectors.GatewayBenchmarkSpread);

        // Charges stay where they were made, so the process enters its cgroup before the silo holds anything.
        string? skipped = null;
        using var group = settings.LimitMiB > 0 ? ProcessMemoryLimit.Enter(out skipped) : null;
        if (settings.LimitMiB > 0 && group is null)
        {
            report.Line($"SKIPPED the run under --limit-mib {settings.LimitMiB}: {skipped}.");
        }

        string[] preload = settings.Preload is { } models ? [.. models.Select((model, i) => $"--Extraction:Preload:{i}={model}")] : [];
        await using var gateway = await InProcessGateway.StartAsync(storageRoot,
        [
            $"--Search:Index={settings.Index}", $"--Search:GraphVectors={settings.GraphVectors}", $"--Search:VectorStorage={settings.VectorStorage}",
            $"--Search:VectorFolder={Path.Combine(storageRoot, "scratch-vectors")}", .. preload,
        ], cancellationToken);
        var grains = gateway.Grains;
        using (var http = new HttpClient { BaseAddress = gateway.Address })
        {
            var create = await http.PutAsJsonAsync($"v1/catalogs/{Catalog}", new { metric = "cosine", shards = settings.Shards }, cancellationToken);
            create.EnsureSuccessStatusCode();
        }

        var shards = Enumerable.Range(0, settings.Shards).Select(shard => grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(Catalog, shard))).ToArray();
        foreach (var shard in shards)
        {
            await shard.GetCountsAsync(cancellationToken);
        }

        // The silo preloads its models in the background (ResNet18: hundreds of MiB): wait for them, so the baseline includes them.
        var registry = gateway.Services.GetRequiredService<OutfitFinder.Grains.Extraction.EmbedderRegistry>();
        foreach (var model in settings.Preload ?? OutfitFinder.Grains.Extraction.EmbedderWarmUpOptions.DefaultPreload)
        {
            registry.Get(model);
        }

        var baseline = Settle();
        using var sampler = new PeakSampler();

        var started = Stopwatch.GetTimestamp();
        await LoadAsync(shards, space, settings, cancellationToken);
        var loadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        started = Stopwatch.GetTimestamp();
        foreach (var shard in shards)
        {
            while (await shard.GetIndexStatsAsync(cancellationToken) is not { Answering: "hnsw", GraphBuilding: false })
            {
                await Task.Delay(250, cancellationToken);
            }
        }

        await RewriteOneProductPerShardAsync(shards, space, settings, cancellationToken);
        await WaitForGraphBlobsAsync(storageRoot, settings.Shards, cancellationToken);
        var graphSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var loaded = Settle();
        var peak = sampler.Stop();

        report.Line(
            $"{settings.Vectors:N0} vectors × {Dimension} (cosine) around {settings.Clusters:N0} clusters (seed {settings.Seed}) in {settings.Shards} shards, "
            + $"Search:Index={settings.Index}, Search:GraphVectors={settings.GraphVectors}, Search:VectorStorage={settings.VectorStorage}: loaded in {loadSeconds:F1} s, graphs built and saved "
            + $"{graphSeconds:F1} s later.");

        var (recall, latencies, qps, exact) = await MeasureAnswersAsync(gateway, space, settings, cancellationToken);
        var limited = group is not null ? await MeasureLimitedAsync(gateway, group, space, settings, exact, report, cancellationToken) : null;
        return new MemoryRun("memory", settings.Vectors, settings.Shards, settings.GraphVectors.ToString(), settings.VectorStorage.ToString(),
            Math.Round(loadSeconds, 1), Math.Round(graphSeconds, 1), Round(baseline.AnonBytes), Round(loaded.AnonBytes - baseline.AnonBytes),
            Round(peak - baseline.AnonBytes), Round(loaded.HeapBytes), Round(loaded.GcCommittedBytes), Round(loaded.FileBytes), Round((double)settings.Vectors * Dimension * sizeof(float)),
            Math.Round(recall, 4), Report.Ms(Statistics.Median(latencies)), Report.Ms(Statistics.Percentile(latencies, 99)), Math.Round(qps, 1),
            limited);
    }

    /// <summary>
    /// Limits the cgroup the process entered at its start (the kernel reclaims page cache until anonymous memory and
    /// cache fit) and answers the same queries again. Null, with a line saying why, when the limit cannot be met.
    /// </summary>
    private static async Task<LimitedRun?> MeasureLimitedAsync(
        InProcessGateway gateway, ProcessMemoryLimit group, ClusteredVectors space, MemorySettings settings, IReadOnlyList<IndexHit>[] exact,
        Report report, CancellationToken cancellationToken)
    {
        Settle();
        var before = group.UsageBytes();
        if (group.Limit(settings.LimitMiB * 1024L * 1024L) is { } failed)
        {
            report.Line($"SKIPPED the run under --limit-mib {settings.LimitMiB}: {failed}.");
            return null;
        }

        var (anon, fileBefore) = ProcessMemory.Read();
        report.Line($"Limited: {group.Group} to {settings.LimitMiB:N0} MiB; it held {Round(before):N1} MiB before, {Round(group.UsageBytes()):N1} MiB now; "
            + $"the process holds {Round(anon):N1} MiB anonymous ({Round(group.AnonOutsideBytes):N1} MiB of it from before it entered the group, charged outside) "
            + $"and {Round(fileBefore):N1} MiB file-backed.");
        var (recall, latencies, qps, _) = await MeasureAnswersAsync(gateway, space, settings, cancellationToken, exact);
        var (_, fileAfter) = ProcessMemory.Read();
        return new LimitedRun(settings.LimitMiB, Round(anon), Round(group.AnonOutsideBytes), Round(fileBefore), Round(fileAfter), Math.Round(recall, 4),
            Report.Ms(Statistics.Median(latencies)), Report.Ms(Statistics.Percentile(latencies, 99)), Math.Round(qps, 1));
    }

    /// <summary>
    /// Searches through the fan-out (the gateway's path without HTTP), one at a time, and scores each answer against
    /// an exact scan of every vector, regenerated chunk by chunk.
    /// </summary>
    /// <remarks>Given <paramref name="exact"/> (a previous call's), it is reused, so that nothing but the searches runs
    /// under a memory limit.</remarks>
    private static async Task<(double Recall, double[] LatenciesMs, double Qps, IReadOnlyList<IndexHit>[] Exact)> MeasureAnswersAsync(
        InProcessGateway gateway, ClusteredVectors space, MemorySettings settings, CancellationToken cancellationToken,
        IReadOnlyList<IndexHit>[]? exact = null)
    {
        var catalog = await gateway.Services.GetRequiredService<CatalogDirectory>().FindAsync(Catalog, cancellationToken)
            ?? throw new InvalidOperationException($"Catalog '{Catalog}' vanished.");
        var fanOut = gateway.Services.GetRequiredService<SearchFanOut>();
        var queries = space.Sample(settings.Queries, settings.Seed + 1);
        var answers = new string[settings.Queries][];
        var latencies = new double[settings.Queries];
        var all = Stopwatch.GetTimestamp();
        for (var q = 0; q < settings.Queries; q++)
        {
            var query = queries.AsSpan(q * Dimension, Dimension).ToArray();
            var sent = Stopwatch.GetTimestamp();
            var result = await fanOut.SearchAsync(catalog, query, settings.K, null, null, cancellationToken);
            latencies[q] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            answers[q] = [.. result.Hits.Select(hit => hit.ProductId)];
        }

        var qps = settings.Queries / Stopwatch.GetElapsedTime(all).TotalSeconds;
        if (exact is not null)
        {
            return (Recall(answers, exact), latencies, qps, exact);
        }

        var best = new IReadOnlyList<IndexHit>[settings.Queries];
        Array.Fill(best, []);
        for (var first = 0; first < settings.Vectors; first += ChunkSize)
        {
            var count = Math.Min(ChunkSize, settings.Vectors - first);
            var vectors = Chunk(space, settings.Seed, first, count);
            using var chunk = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
            for (var row = 0; row < count; row++)
            {
                chunk.Upsert(Id(first + row), null, vectors.AsSpan(row * Dimension, Dimension));
            }

            var hits = chunk.SearchBatch(queries, settings.K);
            for (var q = 0; q < settings.Queries; q++)
            {
                best[q] = TopKMerge.Merge([best[q], hits[q]], settings.K, DistanceMetric.Cosine, hit => hit);
            }
        }

        return (Recall(answers, best), latencies, qps, best);
    }

    private static double Recall(string[][] answers, IReadOnlyList<IndexHit>[] best) =>
        (double)Enumerable.Range(0, answers.Length).Sum(q => answers[q].Intersect(best[q].Select(hit => hit.ProductId)).Count())
        / best.Sum(hits => hits.Count);

    /// <summary>
    /// Sends every vector, chunk by chunk, each chunk's products batched per shard. A method of its own so that no chunk
    /// outlives it: a local of the caller would stay reachable from its async state and be counted as the silo's.
    /// </summary>
    private static async Task LoadAsync(ICatalogShardGrain[] shards, ClusteredVectors space, MemorySettings settings, CancellationToken cancellationToken)
    {
        for (var first = 0; first < settings.Vectors; first += ChunkSize)
        {
            var count = Math.Min(ChunkSize, settings.Vectors - first);
            var vectors = Chunk(space, settings.Seed, first, count);
            var batches = Enumerable.Range(0, count)
                .Select(row => new ProductUpsert(Id(first + row), null, null, 1, PackedVectors.Pack(vectors.AsSpan(row * Dimension, Dimension))))
                .GroupBy(product => ShardRouter.ShardOf(product.ProductId, settings.Shards));
            await Task.WhenAll(batches.Select(batch => shards[batch.Key].UpsertBatchAsync([.. batch], cancellationToken)));
        }
    }

    /// <summary>
    /// A fresh graph is saved with the next write's compaction: writes one product of each shard again (same vector).
    /// Its own method for the same reason as <see cref="LoadAsync"/>.
    /// </summary>
    private static async Task RewriteOneProductPerShardAsync(
        ICatalogShardGrain[] shards, ClusteredVectors space, MemorySettings settings, CancellationToken cancellationToken)
    {
        var rewrite = Chunk(space, settings.Seed, 0, Math.Min(ChunkSize, settings.Vectors));
        var firstRowOfShard = Enumerable.Range(0, Math.Min(ChunkSize, settings.Vectors))
            .GroupBy(row => ShardRouter.ShardOf(Id(row), settings.Shards))
            .Select(rows => (Shard: rows.Key, Row: rows.First()));
        foreach (var (shard, row) in firstRowOfShard)
        {
            await shards[shard].UpsertAsync(
                new ProductUpsert(Id(row), null, null, 1, PackedVectors.Pack(rewrite.AsSpan(row * Dimension, Dimension))), cancellationToken);
        }
    }

    private static float[] Chunk(ClusteredVectors space, int seed, int first, int count) =>
        space.Sample(count, unchecked(seed * 7919 + first / ChunkSize + 2));

    private static string Id(int row) => "p" + row.ToString("D7", CultureInfo.InvariantCulture);

    private static async Task WaitForGraphBlobsAsync(string storageRoot, int shards, CancellationToken cancellationToken)
    {
        for (var shard = 0; shard < shards; shard++)
        {
            var graph = Path.Combine(storageRoot, CatalogPaths.ShardFolder(Catalog, shard), "graph");
            while (!File.Exists(graph))
            {
                await Task.Delay(250, cancellationToken);
            }
        }

        // The graph blob is the compaction's last write but one (covered logs are deleted after it).
        await Task.Delay(1000, cancellationToken);
    }

    /// <summary>Full blocking, compacting collections, then the process's memory as the kernel counts it.</summary>
    private static (double AnonBytes, double FileBytes, double HeapBytes, double GcCommittedBytes) Settle()
    {
        for (var i = 0; i < 2; i++)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var (anon, file) = ProcessMemory.Read();
        return (anon, file, GC.GetTotalMemory(forceFullCollection: false), GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes);
    }

    private static double Round(double bytes) => Math.Round(bytes / MiB, 1);

    private static void Print(Report report, MemoryRun run)
    {
        var table = new MarkdownTable("vectors", "shards", "graph", "float vectors", "catalog anon MiB", "peak anon MiB", "heap MiB (process)",
            "GC committed MiB", "page cache MiB", "floats alone MiB", "recall@k", "QPS", "p50 ms", "p99 ms");
        table.Add(run.Vectors.ToString("N0", CultureInfo.InvariantCulture), run.Shards.ToString(CultureInfo.InvariantCulture), run.GraphVectors,
            run.VectorStorage, Format(run.CatalogAnonMiB), Format(run.PeakCatalogAnonMiB), Format(run.HeapMiB), Format(run.GcCommittedMiB), Format(run.FileMiB),
            Format(run.FloatMiB), run.Recall.ToString("F4", CultureInfo.InvariantCulture), Format(run.Qps), Format(run.P50Ms), Format(run.P99Ms));
        report.Table(table);
        if (run.Limited is { } limited)
        {
            var under = new MarkdownTable("cgroup limit MiB", "anon MiB", "of it outside the group", "file MiB after limit", "file MiB after queries", "recall@k", "QPS", "p50 ms", "p99 ms");
            under.Add(Format(limited.LimitMiB), Format(limited.AnonMiB), Format(limited.OutsideMiB), Format(limited.FileMiBBefore), Format(limited.FileMiBAfter),
                limited.Recall.ToString("F4", CultureInfo.InvariantCulture), Format(limited.Qps), Format(limited.P50Ms), Format(limited.P99Ms));
            report.Table(under);
        }

        report.Line($"Silo process before the catalog: {Format(run.BaselineAnonMiB)} MiB anonymous. \"catalog anon\" is what the loaded catalog added, "
            + "after full collections; \"peak\" is the most it added at any 100 ms sample from the first write to the saved graphs.");
        report.Json(run);
        report.LoadAtEnd();
    }

    private static string Format(double value) => value.ToString("N1", CultureInfo.InvariantCulture);

    /// <summary>Samples anonymous resident memory every 100 ms on its own thread and keeps the highest.</summary>
    private sealed class PeakSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private double _peak;

        public PeakSampler()
        {
            _thread = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    _peak = Math.Max(_peak, ProcessMemory.Read().AnonBytes);
                    _stop.Token.WaitHandle.WaitOne(100);
                }
            }) { IsBackground = true, Name = "memory-peak-sampler" };
            _thread.Start();
        }

        public double Stop()
        {
            _stop.Cancel();
            _thread.Join();
            return _peak = Math.Max(_peak, ProcessMemory.Read().AnonBytes);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested)
            {
                Stop();
            }

            _stop.Dispose();
        }
    }
}

/// <summary>The process's resident memory split as Linux reports it in <c>/proc/self/status</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>RssAnon (heap and every other private allocation) and RssFile (mapped files' cached pages), in bytes.</summary>
    public static (double AnonBytes, double FileBytes) Read()
    {
        double anon = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kilobytes(line) * 1024;
            }
        }

        return (anon, file);
    }

    private static double Kilobytes(string line) =>
        double.Parse(line.Split(':', 2)[1].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
}
