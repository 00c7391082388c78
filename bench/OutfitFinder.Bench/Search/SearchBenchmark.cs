using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
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

/// <summary>What <c>search</c> measures.</summary>
/// <param name="Vectors">Products in the catalog, one image vector each.</param>
/// <param name="Shards">Shards of the catalog.</param>
/// <param name="Queries">Timed queries per concurrency level and per baseline.</param>
/// <param name="WarmUp">
/// Untimed querying before each timed run. By time, not count: in a fresh process the scan runs
/// several times slower until tiered compilation has replaced its first code, which took seconds
/// here, not a fixed number of calls.
/// </param>
/// <param name="Concurrency">Requests in flight, one timed run each.</param>
/// <param name="K">Results per query.</param>
/// <param name="Clusters">Clusters the synthetic vectors gather around.</param>
/// <param name="Seed">Seed of the synthetic vectors; the queries use the next one.</param>
/// <param name="TimeLimit">The whole command stops with an error after this long.</param>
/// <param name="Index">The cluster's <c>Search:Index</c>: which index the shards answer from.</param>
/// <param name="GraphThreshold">The cluster's <c>Search:GraphThreshold</c>.</param>
/// <param name="Ef">Per-query ef sent with every search; null for the cluster's default.</param>
/// <param name="ImageQueries">Timed searches by image per concurrency level; 0 for none.</param>
/// <param name="GraphVectors">The cluster's <c>Search:GraphVectors</c>: float graphs, or int8 graphs re-ranked exactly.</param>
/// <param name="Settings">Further gateway settings as <c>KEY=VALUE</c> (telemetry on or off, say), applied last.</param>
/// <param name="Keys">
/// Also time searches by vector through a second gateway over the same storage with <c>Auth:Mode=Keys</c>,
/// sending a catalog-confined search key: the cost of authentication, authorization and rate limiting.
/// </param>
/// <param name="Load">How the vectors get into the catalog: straight into the shard grains, or through the product API
/// as a retailer would (JSON vector PUTs, or a server-side ingestion job over a manifest naming rows of one .npy file).</param>
/// <param name="PutParallel">Product PUTs in flight with <see cref="SearchLoadPath.Products"/>.</param>
/// <param name="IndexGraph">Also build shard 0's graph in-process on one thread and time it; off for a million vectors on a busy
/// machine, where that build alone takes many minutes and the in-process fan-out row already shows the search without HTTP.</param>
internal sealed record SearchSettings(
    int Vectors, int Shards, int Queries, TimeSpan WarmUp, IReadOnlyList<int> Concurrency, int K, int Clusters, int Seed, TimeSpan TimeLimit,
    ShardIndexKind Index = ShardIndexKind.Auto, int GraphThreshold = 20_000, int? Ef = null, int ImageQueries = 0,
    HnswVectors GraphVectors = HnswVectors.Float, IReadOnlyList<string>? Settings = null, bool Keys = false,
    SearchLoadPath Load = SearchLoadPath.Grains, int PutParallel = 16, bool IndexGraph = true)
{
    /// <summary>The options the cluster runs with, to tell which shards answer from a graph.</summary>
    public ShardIndexOptions IndexOptions => new() { Index = Index, GraphThreshold = GraphThreshold };
}

/// <summary>How <c>search</c> loads its catalog.</summary>
internal enum SearchLoadPath
{
    /// <summary><c>UpsertBatchAsync</c> on the shard grains, batches of 1,000: what an ingestion job does after embedding.</summary>
    Grains,

    /// <summary><c>PUT /v1/catalogs/{c}/products/{id}</c> with a JSON <c>vectors</c> body, several in flight, into a <c>model: none</c> catalog.</summary>
    Products,

    /// <summary>
    /// A server-side ingestion job (<c>POST /v1/catalogs/{c}/ingestions</c>) from a folder source holding one <c>.npy</c> of every
    /// vector and a CSV manifest naming each product's row of it (<c>vector_file</c>, <c>vector_row</c>), into a <c>model: none</c> catalog.
    /// </summary>
    Ingest,
}

/// <summary>Loading the catalog, then waiting for every shard's graph (0 s when none is built).</summary>
internal sealed record SearchLoad(string Benchmark, string Case, int Vectors, int Shards, int BatchSize, double Seconds, double VectorsPerSecond,
    string Index = "", int GraphShards = 0, double GraphSeconds = 0);

/// <summary>
/// One timed run of queries: client-measured latency percentiles (ms) and queries per second;
/// for the gateway also its own <c>tookMs</c>, and how many answers equal the exact single-index top-k.
/// </summary>
internal sealed record SearchRun(
    string Benchmark, string Case, int Vectors, int Shards, int Concurrency, int Queries, int K,
    double Qps, double P50Ms, double P95Ms, double P99Ms, double? TookP50Ms, double? TookP95Ms, int? SameAsExact, double? ScanGBPerSecond,
    double? Recall = null, string Index = "flat");

/// <summary>
/// <c>search</c>: the real gateway and embedded silo on loopback, a catalog of clustered synthetic
/// vectors loaded straight into its shard grains, and search-by-vector requests over HTTP at each
/// concurrency level; beside it, <see cref="FlatVectorIndex.Search"/> in-process over all vectors
/// in one index and over one shard's share, so that the gateway's and the fan-out's cost shows.
/// </summary>
internal static class SearchBenchmark
{
    private const string Catalog = "bench";
    private const int Dimension = 512;
    private const int UpsertBatchSize = 1000;

    // Distinct vectors the warm-up cycles through; the timed queries are others.
    private const int WarmUpQueries = 30;

    // The --keys gateway's bootstrap key; it only makes the search key that is timed.
    private const string BenchAdminKey = "ofk_bench.benchbenchbenchbenchbenchbenchbenchbench";

    public static async Task<int> RunAsync(SearchSettings settings, Report report, CancellationToken cancellationToken)
    {
        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeLimit.CancelAfter(settings.TimeLimit);
        var token = timeLimit.Token;
        report.Machine();

        var started = Stopwatch.GetTimestamp();
        var space = new ClusteredVectors(Dimension, settings.Clusters, settings.Seed, ClusteredVectors.GatewayBenchmarkSpread);
        var vectors = space.Sample(settings.Vectors, settings.Seed);
        var queries = space.Sample(WarmUpQueries + settings.Queries, settings.Seed + 1);
        var ids = Enumerable.Range(0, settings.Vectors).Select(row => "p" + row.ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        report.Line(
            $"Search:Index={settings.Index}, Search:GraphThreshold={settings.GraphThreshold:N0}, Search:GraphVectors={settings.GraphVectors}, ef={(settings.Ef is { } ef ? ef.ToString(CultureInfo.InvariantCulture) : "default")}. "
            + $"{settings.Vectors:N0} vectors × {Dimension} (cosine) around {settings.Clusters:N0} Gaussian clusters (seed {settings.Seed}), "
            + $"{settings.Queries} timed queries (seed {settings.Seed + 1}) after {settings.WarmUp.TotalSeconds:F0} s of warm-up queries per run, k = {settings.K}; "
            + $"generated in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s."
            + (settings.Settings is { Count: > 0 } extra ? $" Gateway settings: {string.Join(", ", extra)}." : ""));

        var storage = Directory.CreateTempSubdirectory("outfit-bench-");
        try
        {
            return await RunWithGatewayAsync(settings, report, vectors, queries, ids, storage.FullName, token);
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

    private static async Task<int> RunWithGatewayAsync(
        SearchSettings settings, Report report, float[] vectors, float[] queries, string[] ids,
        string storageRoot, CancellationToken cancellationToken)
    {
        // Each timed run keeps its answers so they can be checked against the exact scans afterwards.
        var timed = new List<(SearchRun Run, string[][] Answers)>();
        SearchLoad load;
        var source = Path.Combine(storageRoot, "source");
        if (settings.Load == SearchLoadPath.Ingest)
        {
            // What the retailer has on disk before loading: not timed.
            var written = Stopwatch.GetTimestamp();
            WriteVectorSource(source, vectors, ids);
            report.Line($"Wrote the source (vectors.npy, {(long)vectors.Length * sizeof(float) / (1 << 20):N0} MiB, and a manifest of {ids.Length:N0} rows) "
                + $"in {Stopwatch.GetElapsedTime(written).TotalSeconds:F1} s.");
        }

        await using (var gateway = await InProcessGateway.StartAsync(storageRoot,
            [$"--Search:Index={settings.Index}", $"--Search:GraphThreshold={settings.GraphThreshold}", $"--Search:GraphVectors={settings.GraphVectors}",
                .. settings.Load == SearchLoadPath.Ingest ? (string[])["--Ingestion:Sources:bench:Kind=Folder", $"--Ingestion:Sources:bench:Path={source}"] : [],
                .. (settings.Settings ?? []).Select(setting => "--" + setting)],
            cancellationToken))
        {
            using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
            var create = settings.Load == SearchLoadPath.Grains
                ? await http.PutAsJsonAsync($"v1/catalogs/{Catalog}", new { metric = "cosine", shards = settings.Shards }, cancellationToken)
                : await http.PutAsJsonAsync($"v1/catalogs/{Catalog}", new { model = "none", dimension = Dimension, metric = "cosine", shards = settings.Shards }, cancellationToken);
            await EnsureSuccessAsync(create, "Creating the catalog", cancellationToken);

            load = settings.Load switch
            {
                SearchLoadPath.Products => await PutProductsAsync(http, settings, vectors, ids, cancellationToken),
                SearchLoadPath.Ingest => await IngestAsync(http, settings, report, cancellationToken),
                _ => await LoadAsync(gateway.Grains, settings, vectors, ids, cancellationToken),
            };
            load = await WaitForGraphsAsync(gateway.Grains, settings, ids, load, cancellationToken);
            var held = await http.GetFromJsonAsync<JsonElement>($"v1/catalogs/{Catalog}", cancellationToken);
            var products = held.GetProperty("products").GetInt64();
            if (products != settings.Vectors)
            {
                throw new InvalidOperationException($"The catalog holds {products} products after loading {settings.Vectors}.");
            }

            var how = settings.Load switch
            {
                SearchLoadPath.Products => $"through PUT /v1/catalogs/{Catalog}/products/{{id}} with JSON vectors, {settings.PutParallel} in flight, each durably logged",
                SearchLoadPath.Ingest => "through one server-side ingestion job (vector_file + vector_row rows of one .npy, folder source), each batch durably logged",
                _ => $"with UpsertBatchAsync, batches of {UpsertBatchSize:N0}, each durably logged",
            };
            report.Line(
                $"Gateway on {gateway.Address} (embedded silo, storage in a temp folder). Loaded {settings.Vectors:N0} vectors into "
                + $"{settings.Shards} shards {how}: "
                + $"{load.Seconds:F1} s, {load.VectorsPerSecond:N0} vectors/s. "
                + (load.GraphShards == 0
                    ? "Every shard answers with the exact scan."
                    : $"{load.GraphShards} of {settings.Shards} shards then built their HNSW graphs in the background: all ready {load.GraphSeconds:F1} s after the load ended."));

            var catalog = await gateway.Services.GetRequiredService<CatalogDirectory>().FindAsync(Catalog, cancellationToken)
                ?? throw new InvalidOperationException($"Catalog '{Catalog}' vanished.");
            var fanOut = gateway.Services.GetRequiredService<SearchFanOut>();
            var shardZero = gateway.Grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(Catalog, 0));
            var shardIndex = (await shardZero.GetIndexStatsAsync(cancellationToken)).Answering;
            var catalogIndex = load.GraphShards == 0 ? "flat" : load.GraphShards == settings.Shards ? "hnsw" : "mixed";
            var shardZeroVectors = ids.Count(id => ShardRouter.ShardOf(id, settings.Shards) == 0);

            // Bodies are serialised up front so the client spends its share of the CPUs on HTTP only.
            var bodies = Enumerable.Range(0, WarmUpQueries + settings.Queries)
                .Select(q => JsonSerializer.SerializeToUtf8Bytes(new { vector = Query(queries, q).ToArray(), k = settings.K, ef = settings.Ef }))
                .ToArray();
            var vectorsOfQueries = Enumerable.Range(0, WarmUpQueries + settings.Queries).Select(q => Query(queries, q).ToArray()).ToArray();
            var photos = settings.ImageQueries == 0 ? [] : QueryPhotos(WarmUpQueries + settings.ImageQueries);

            // Inside out, so each layer's cost shows: one shard grain, the fan-out over all of them, then HTTP in front.
            foreach (var concurrency in settings.Concurrency)
            {
                var (grainLatencies, grainHits, grainSeconds) = await TimeAsync(settings, settings.Queries, concurrency,
                    (q, token) => shardZero.SearchAsync(new ShardQuery(vectorsOfQueries[q], settings.K, null, settings.Ef), token), cancellationToken);
                timed.Add((Run("shard-grain", shardZeroVectors, 1, concurrency, grainLatencies, grainSeconds, settings, null) with { Index = shardIndex },
                    grainHits.Select(hits => hits.Select(hit => hit.ProductId).ToArray()).ToArray()));

                var (fanOutLatencies, fanOutResults, fanOutSeconds) = await TimeAsync(settings, settings.Queries, concurrency,
                    (q, token) => fanOut.SearchAsync(catalog, vectorsOfQueries[q], settings.K, null, settings.Ef, token), cancellationToken);
                if (fanOutResults.Any(result => result.Partial))
                {
                    throw new InvalidOperationException("A fan-out answer was partial: a shard missed the deadline.");
                }

                timed.Add((Run("fan-out", settings.Vectors, settings.Shards, concurrency, fanOutLatencies, fanOutSeconds, settings, null) with { Index = catalogIndex },
                    fanOutResults.Select(result => result.Hits.Select(hit => hit.ProductId).ToArray()).ToArray()));

                var (httpLatencies, payloads, httpSeconds) = await TimeAsync(settings, settings.Queries, concurrency,
                    (q, token) => PostAsync(http, bodies[q], token), cancellationToken);
                var (took, answers) = ParseAnswers(payloads);
                timed.Add((Run("gateway-http", settings.Vectors, settings.Shards, concurrency, httpLatencies, httpSeconds, settings, took) with { Index = catalogIndex }, answers));

                if (photos.Length > 0)
                {
                    var (imageLatencies, imagePayloads, imageSeconds) = await TimeAsync(settings, settings.ImageQueries, concurrency,
                        (q, token) => PostImageAsync(http, photos[q], settings, token), cancellationToken);
                    var (imageTook, _) = ParseAnswers(imagePayloads);
                    timed.Add((Run("gateway-http-image", settings.Vectors, settings.Shards, concurrency, imageLatencies, imageSeconds, settings, imageTook)
                        with { Queries = settings.ImageQueries, Index = catalogIndex }, []));
                }
            }
        }

        if (settings.Keys)
        {
            timed.AddRange(await TimeWithKeysAsync(settings, queries, storageRoot, cancellationToken));
        }

        var (all, shard) = BuildBaselines(settings, vectors, ids);
        var (fullRun, exactAll) = MeasureIndex(all, queries, settings, "flat-index-all", cancellationToken);
        var (shardRun, exactShard) = MeasureIndex(shard, queries, settings, "flat-index-shard", cancellationToken);

        // Each answer against the exact scan's: identical lists, and the share of the exact top-k found.
        var runs = timed.Select(t => t.Run.Case == "gateway-http-image" ? t.Run : t.Run with
        {
            SameAsExact = CountEqual(t.Answers, t.Run.Case == "shard-grain" ? exactShard : exactAll),
            Recall = Recall(t.Answers, t.Run.Case == "shard-grain" ? exactShard : exactAll),
        }).ToList();
        runs.Add(fullRun with { SameAsExact = settings.Queries, Recall = 1 });
        runs.Add(shardRun with { SameAsExact = settings.Queries, Recall = 1 });
        if (settings.IndexGraph && settings.IndexOptions.WantsGraph(shard.ImageCount))
        {
            // What the shard grain runs, without the grain: the same graph over shard 0's products.
            var (graph, buildSeconds) = BuildGraph(vectors, ids, settings);
            report.Line($"In-process HnswIndex over shard 0's {graph.ImageCount:N0} vectors built in {buildSeconds:F1} s on one thread.");
            var (graphRun, graphAnswers) = MeasureGraph(graph, shard, queries, settings, cancellationToken);
            runs.Add(graphRun with { SameAsExact = CountEqual(graphAnswers, exactShard), Recall = Recall(graphAnswers, exactShard) });
        }

        Print(report, load, runs);
        return 0;
    }

    /// <summary>
    /// The same searches by vector over HTTP through a gateway with keys on (a second process-local
    /// gateway over the same storage, so the shards reload what the first one wrote), sending a
    /// search key confined to the catalog. Rate limits are raised so that the token bucket is
    /// consulted on every request but never refuses one.
    /// </summary>
    private static async Task<List<(SearchRun Run, string[][] Answers)>> TimeWithKeysAsync(
        SearchSettings settings, float[] queries, string storageRoot, CancellationToken cancellationToken)
    {
        var runs = new List<(SearchRun Run, string[][] Answers)>();
        await using var gateway = await InProcessGateway.StartAsync(storageRoot,
            [$"--Search:Index={settings.Index}", $"--Search:GraphThreshold={settings.GraphThreshold}", $"--Search:GraphVectors={settings.GraphVectors}",
             "--Auth:Mode=Keys", $"--Auth:BootstrapKey={BenchAdminKey}", "--Limits:Search:PerSecond=1000000", "--Limits:Search:Burst=1000000"],
            cancellationToken);
        using var admin = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BenchAdminKey);
        var created = await admin.PostAsJsonAsync("v1/keys", new { name = "bench", scopes = new[] { "search" }, catalogs = new[] { Catalog } }, cancellationToken);
        await EnsureSuccessAsync(created, "Creating the search key", cancellationToken);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("key").GetString();

        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var bodies = Enumerable.Range(0, WarmUpQueries + settings.Queries)
            .Select(q => JsonSerializer.SerializeToUtf8Bytes(new { vector = Query(queries, q).ToArray(), k = settings.K, ef = settings.Ef }))
            .ToArray();
        foreach (var concurrency in settings.Concurrency)
        {
            var (latencies, payloads, seconds) = await TimeAsync(settings, settings.Queries, concurrency,
                (q, token) => PostAsync(http, bodies[q], token), cancellationToken);
            var (took, answers) = ParseAnswers(payloads);
            runs.Add((Run("gateway-http-keys", settings.Vectors, settings.Shards, concurrency, latencies, seconds, settings, took), answers));
        }

        return runs;
    }

    /// <summary>
    /// Sends every product to its shard (by <see cref="ShardRouter"/>, as the gateway routes) in
    /// batches through <see cref="ICatalogShardGrain.UpsertBatchAsync"/>, the shards in parallel.
    /// </summary>
    private static async Task<SearchLoad> LoadAsync(
        IGrainFactory grains, SearchSettings settings, float[] vectors, string[] ids, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var rowsByShard = Enumerable.Range(0, ids.Length).GroupBy(row => ShardRouter.ShardOf(ids[row], settings.Shards));
        var loads = rowsByShard.Select(async shard =>
        {
            var grain = grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(Catalog, shard.Key));
            foreach (var chunk in shard.Chunk(UpsertBatchSize))
            {
                var batch = chunk
                    .Select(row => new ProductUpsert(ids[row], null, null, 1, PackedVectors.Pack(Query(vectors, row))))
                    .ToArray();
                await grain.UpsertBatchAsync(batch, cancellationToken);
            }
        });
        await Task.WhenAll(loads);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new SearchLoad("search", "load", settings.Vectors, settings.Shards, UpsertBatchSize,
            Math.Round(seconds, 2), Report.Rate(settings.Vectors / seconds));
    }

    /// <summary>
    /// Sends every product as <c>PUT …/products/{id}</c> with a JSON body of its one vector, <see cref="SearchSettings.PutParallel"/>
    /// at a time: the vectors-in path of a retailer who pushes products one by one.
    /// </summary>
    private static async Task<SearchLoad> PutProductsAsync(
        HttpClient http, SearchSettings settings, float[] vectors, string[] ids, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length),
            new ParallelOptions { MaxDegreeOfParallelism = settings.PutParallel, CancellationToken = cancellationToken },
            async (row, token) =>
            {
                using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { vectors = new[] { Query(vectors, row).ToArray() } }));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PutAsync($"v1/catalogs/{Catalog}/products/{ids[row]}", content, token);
                await EnsureSuccessAsync(response, $"PUT product {ids[row]}", token);
            });
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new SearchLoad("search", "load-put", settings.Vectors, settings.Shards, 1, Math.Round(seconds, 2), Report.Rate(settings.Vectors / seconds));
    }

    /// <summary>
    /// The folder source an ingestion job reads: every vector in one <c>vectors.npy</c> (float32, rows × 512, as
    /// <c>numpy.save</c> writes it) and <c>manifest.csv</c> naming each product's row of it.
    /// </summary>
    private static void WriteVectorSource(string folder, float[] vectors, string[] ids)
    {
        Directory.CreateDirectory(folder);
        using (var npy = File.Create(Path.Combine(folder, "vectors.npy")))
        {
            // Version 1.0 header, padded with spaces so that the data starts at a multiple of 64 bytes, ending in '\n'.
            var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({ids.Length}, {Dimension}), }}";
            var padded = dict.PadRight(((10 + dict.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
            npy.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            npy.Write(BitConverter.GetBytes((ushort)padded.Length));
            npy.Write(Encoding.Latin1.GetBytes(padded));
            npy.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.AsSpan()));
        }

        using var manifest = new StreamWriter(Path.Combine(folder, "manifest.csv"));
        manifest.WriteLine("product_id,vector_file,vector_row");
        for (var row = 0; row < ids.Length; row++)
        {
            manifest.Write(ids[row]);
            manifest.Write(",vectors.npy,");
            manifest.WriteLine(row.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Starts one server-side ingestion job over the source <see cref="WriteVectorSource"/> wrote and polls it to its end.</summary>
    private static async Task<SearchLoad> IngestAsync(HttpClient http, SearchSettings settings, Report report, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var start = await http.PostAsJsonAsync($"v1/catalogs/{Catalog}/ingestions", new { source = "bench", manifest = "manifest.csv", id = "load" }, cancellationToken);
        await EnsureSuccessAsync(start, "Starting the ingestion", cancellationToken);
        var lastLine = Stopwatch.GetTimestamp();
        while (true)
        {
            await Task.Delay(500, cancellationToken);
            using var status = JsonDocument.Parse(await http.GetStringAsync($"v1/catalogs/{Catalog}/ingestions/load", cancellationToken));
            var job = status.RootElement;
            var state = job.GetProperty("state").GetString();
            if (state == "running")
            {
                if (Stopwatch.GetElapsedTime(lastLine) > TimeSpan.FromSeconds(30))
                {
                    lastLine = Stopwatch.GetTimestamp();
                    Console.Error.WriteLine($"ingestion: {job.GetProperty("succeeded").GetInt64():N0} stored after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
                }

                continue;
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (state != "succeeded" || job.GetProperty("succeeded").GetInt64() != settings.Vectors)
            {
                throw new InvalidOperationException($"The ingestion ended {state}: {job}");
            }

            report.Line($"Ingestion job 'load' succeeded: {settings.Vectors:N0} rows in {seconds:F1} s as the client saw it "
                + $"({job.GetProperty("imagesPerSecond").GetDouble():N0} rows/s by the job's own count).");
            return new SearchLoad("search", "load-ingest", settings.Vectors, settings.Shards, 1024, Math.Round(seconds, 2), Report.Rate(settings.Vectors / seconds));
        }
    }

    /// <summary>
    /// Polls every shard until those that should answer from a graph (by the cluster's
    /// <see cref="ShardIndexOptions"/>) do; the graphs are built in the background after the load.
    /// </summary>
    private static async Task<SearchLoad> WaitForGraphsAsync(
        IGrainFactory grains, SearchSettings settings, string[] ids, SearchLoad load, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var wanting = Enumerable.Range(0, settings.Shards)
            .Where(shard => settings.IndexOptions.WantsGraph(ids.Count(id => ShardRouter.ShardOf(id, settings.Shards) == shard)))
            .ToArray();
        foreach (var shard in wanting)
        {
            var grain = grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(Catalog, shard));
            while ((await grain.GetIndexStatsAsync(cancellationToken)) is not { Answering: "hnsw", GraphBuilding: false })
            {
                await Task.Delay(200, cancellationToken);
            }
        }

        return load with
        {
            Index = settings.Index.ToString(), GraphShards = wanting.Length,
            GraphSeconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
        };
    }

    /// <summary>Procedural garment photos (JPEG), the same on every run: the gateway embeds each with ResNet18.</summary>
    private static byte[][] QueryPhotos(int count) =>
        [.. OutfitFinder.TestSupport.GarmentCatalog.Generate(count, seed: 7).Select(garment =>
        {
            using var bitmap = OutfitFinder.TestSupport.GarmentImages.Draw(garment.Spec);
            return OutfitFinder.TestSupport.GarmentImages.Encode(bitmap);
        })];

    /// <summary>One search by photo (multipart); the whole body is read before the clock stops.</summary>
    private static async Task<byte[]> PostImageAsync(HttpClient http, byte[] photo, SearchSettings settings, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(photo);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(part, "image", "query.jpg");
        var ef = settings.Ef is { } value ? $"&ef={value}" : "";
        using var response = await http.PostAsync($"v1/catalogs/{Catalog}/search?k={settings.K}{ef}", form, cancellationToken);
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Search by image answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(payload)}");
        }

        return payload;
    }

    /// <summary>
    /// Warm-up queries for <see cref="SearchSettings.WarmUp"/> (and at least one pass over them),
    /// then the timed ones, each with <paramref name="concurrency"/> in flight. Latency runs from
    /// the call to the completed result; anything done with the results (parsing, checking)
    /// happens after the clock stops.
    /// </summary>
    private static async Task<(double[] Latencies, T[] Results, double WallSeconds)> TimeAsync<T>(
        SearchSettings settings, int count, int concurrency, Func<int, CancellationToken, Task<T>> query, CancellationToken cancellationToken)
    {
        var warmUpStarted = Stopwatch.GetTimestamp();
        var warmUpSent = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref warmUpSent)) < WarmUpQueries || Stopwatch.GetElapsedTime(warmUpStarted) < settings.WarmUp)
            {
                await query(i % WarmUpQueries, cancellationToken);
            }
        }, cancellationToken)));

        var latencies = new double[count];
        var results = new T[count];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var sent = Stopwatch.GetTimestamp();
                results[i] = await query(WarmUpQueries + i, cancellationToken);
                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        }, cancellationToken)));
        return (latencies, results, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>One search by vector over HTTP; the whole body is read before the clock stops.</summary>
    private static async Task<byte[]> PostAsync(HttpClient http, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync($"v1/catalogs/{Catalog}/search", content, cancellationToken);
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Search answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(payload)}");
        }

        return payload;
    }

    /// <summary>The gateway's <c>tookMs</c> and product ids of each response; a partial answer is an error.</summary>
    private static (double[] Took, string[][] Answers) ParseAnswers(byte[][] payloads)
    {
        var took = new double[payloads.Length];
        var answers = new string[payloads.Length][];
        for (var i = 0; i < payloads.Length; i++)
        {
            using var document = JsonDocument.Parse(payloads[i]);
            var root = document.RootElement;
            if (root.GetProperty("partial").GetBoolean())
            {
                throw new InvalidOperationException($"Query {i} got a partial answer: a shard missed the deadline.");
            }

            took[i] = root.GetProperty("tookMs").GetDouble();
            answers[i] = root.GetProperty("results").EnumerateArray().Select(hit => hit.GetProperty("productId").GetString()!).ToArray();
        }

        return (took, answers);
    }

    private static SearchRun Run(
        string name, int vectors, int shards, int concurrency, double[] latencies, double wallSeconds, SearchSettings settings, double[]? took) =>
        new("search", name, vectors, shards, concurrency, latencies.Length, settings.K,
            Report.Rate(latencies.Length / wallSeconds),
            Report.Ms(Statistics.Median(latencies)), Report.Ms(Statistics.Percentile(latencies, 95)), Report.Ms(Statistics.Percentile(latencies, 99)),
            took is null ? null : Report.Ms(Statistics.Median(took)), took is null ? null : Report.Ms(Statistics.Percentile(took, 95)), null, null);

    /// <summary>All vectors in one index, and the products of shard 0 in another: what one shard grain scans.</summary>
    private static (FlatVectorIndex All, FlatVectorIndex ShardZero) BuildBaselines(SearchSettings settings, float[] vectors, string[] ids)
    {
        var all = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
        var shardZero = new FlatVectorIndex(Dimension, DistanceMetric.Cosine);
        for (var row = 0; row < ids.Length; row++)
        {
            var vector = Query(vectors, row);
            all.Upsert(ids[row], null, vector);
            if (ShardRouter.ShardOf(ids[row], settings.Shards) == 0)
            {
                shardZero.Upsert(ids[row], null, vector);
            }
        }

        return (all, shardZero);
    }

    /// <summary>An HNSW graph over shard 0's products with the cluster's default graph parameters, as a shard builds it.</summary>
    private static (HnswIndex Graph, double Seconds) BuildGraph(float[] vectors, string[] ids, SearchSettings settings)
    {
        var defaults = new ShardIndexOptions();
        var graph = new HnswIndex(Dimension, DistanceMetric.Cosine,
            new HnswOptions(M: defaults.GraphM, EfConstruction: defaults.GraphEfConstruction, Vectors: settings.GraphVectors));
        var started = Stopwatch.GetTimestamp();
        for (var row = 0; row < ids.Length; row++)
        {
            if (ShardRouter.ShardOf(ids[row], settings.Shards) == 0)
            {
                graph.Upsert(ids[row], null, Query(vectors, row));
            }
        }

        return (graph, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// As <see cref="MeasureIndex"/>, for the graph with the run's ef; an int8 graph's candidates re-ranked exactly
    /// from the shard's floats, as the shard grain does.
    /// </summary>
    private static (SearchRun Run, string[][] Answers) MeasureGraph(
        HnswIndex graph, FlatVectorIndex floats, float[] queries, SearchSettings settings, CancellationToken cancellationToken)
    {
        var ef = settings.Ef ?? new ShardIndexOptions().DefaultEf;
        IReadOnlyList<IndexHit> Search(ReadOnlySpan<float> query) => graph.Options.Vectors == HnswVectors.Int8
            ? floats.Rescore(query, graph.Search(query, 2 * settings.K, ef: Math.Max(ef, 2 * settings.K)).Select(hit => hit.ProductId), settings.K)
            : graph.Search(query, settings.K, ef: ef);

        var warmUpStarted = Stopwatch.GetTimestamp();
        for (var q = 0; q < WarmUpQueries || Stopwatch.GetElapsedTime(warmUpStarted) < settings.WarmUp; q++)
        {
            Search(Query(queries, q % WarmUpQueries));
        }

        var latencies = new double[settings.Queries];
        var answers = new string[settings.Queries][];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < settings.Queries; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = Stopwatch.GetTimestamp();
            var hits = Search(Query(queries, WarmUpQueries + i));
            latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            answers[i] = hits.Select(hit => hit.ProductId).ToArray();
        }

        var wallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var run = new SearchRun("search", "hnsw-index-shard", graph.ImageCount, 1, 1, settings.Queries, settings.K,
            Report.Rate(settings.Queries / wallSeconds),
            Report.Ms(Statistics.Median(latencies)), Report.Ms(Statistics.Percentile(latencies, 95)), Report.Ms(Statistics.Percentile(latencies, 99)),
            null, null, null, null, Index: "hnsw");
        return (run, answers);
    }

    /// <summary>The same warm-up and timed queries, one after another on this thread, straight into the index.</summary>
    private static (SearchRun Run, string[][] Answers) MeasureIndex(
        FlatVectorIndex index, float[] queries, SearchSettings settings, string name, CancellationToken cancellationToken)
    {
        var warmUpStarted = Stopwatch.GetTimestamp();
        for (var q = 0; q < WarmUpQueries || Stopwatch.GetElapsedTime(warmUpStarted) < settings.WarmUp; q++)
        {
            index.Search(Query(queries, q % WarmUpQueries), settings.K);
        }

        var latencies = new double[settings.Queries];
        var answers = new string[settings.Queries][];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < settings.Queries; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = Stopwatch.GetTimestamp();
            var hits = index.Search(Query(queries, WarmUpQueries + i), settings.K);
            latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            answers[i] = hits.Select(hit => hit.ProductId).ToArray();
        }

        var wallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var median = Statistics.Median(latencies);
        var bytesScanned = (double)index.ImageCount * Dimension * sizeof(float);
        var run = new SearchRun("search", name, index.ImageCount, 1, 1, settings.Queries, settings.K,
            Report.Rate(settings.Queries / wallSeconds),
            Report.Ms(median), Report.Ms(Statistics.Percentile(latencies, 95)), Report.Ms(Statistics.Percentile(latencies, 99)),
            null, null, null, Math.Round(bytesScanned / (median / 1000) / 1e9, 2));
        return (run, answers);
    }

    private static void Print(Report report, SearchLoad load, List<SearchRun> runs)
    {
        report.Line();
        var table = new MarkdownTable(
            "what", "index", "vectors", "concurrency", "QPS", "p50 ms", "p95 ms", "p99 ms", "tookMs p50 / p95", "same top-k as exact", "recall@k", "scan GB/s");
        foreach (var run in runs)
        {
            var what = run.Case switch
            {
                "gateway-http" => $"gateway, HTTP search by vector, {run.Shards} shards",
                "gateway-http-image" => $"gateway, HTTP search by image (ResNet18), {run.Shards} shards",
                "gateway-http-keys" => $"gateway with Auth:Mode=Keys, HTTP search by vector with a search key, {run.Shards} shards",
                "hnsw-index-shard" => "HnswIndex.Search, shard 0's products",
                "fan-out" => $"SearchFanOut in-process, {run.Shards} shard grains",
                "shard-grain" => "one shard grain call (shard 0)",
                "flat-index-all" => "FlatVectorIndex.Search, all in one index",
                _ => "FlatVectorIndex.Search, shard 0's products",
            };
            table.Add(
                what, run.Index, run.Vectors.ToString("N0", CultureInfo.InvariantCulture), run.Concurrency.ToString(CultureInfo.InvariantCulture),
                F1(run.Qps), F2(run.P50Ms), F2(run.P95Ms), F2(run.P99Ms),
                run.TookP50Ms is { } took ? $"{F2(took)} / {F2(run.TookP95Ms!.Value)}" : "",
                run.SameAsExact is { } same ? $"{same}/{run.Queries}" : "",
                run.Recall is { } recall ? recall.ToString("F4", CultureInfo.InvariantCulture) : "",
                run.ScanGBPerSecond is { } rate ? F1(rate) : "");
        }

        report.Table(table);
        report.Line();

        // Layer by layer at the lowest concurrency, where latencies are not inflated by queueing.
        var exact = runs.Single(run => run.Case == "flat-index-all");
        var shard = runs.SingleOrDefault(run => run.Case == "hnsw-index-shard") ?? runs.Single(run => run.Case == "flat-index-shard");
        var lowest = runs.Where(run => run.Case == "gateway-http").Min(run => run.Concurrency);
        var grain = runs.Single(run => run.Case == "shard-grain" && run.Concurrency == lowest);
        var fanOut = runs.Single(run => run.Case == "fan-out" && run.Concurrency == lowest);
        var gateway = runs.Single(run => run.Case == "gateway-http" && run.Concurrency == lowest);
        report.Line(
            $"p50 layer by layer at concurrency {lowest}: {shard.Index} search of shard 0's products in-process {F2(shard.P50Ms)} ms → as a shard grain call {F2(grain.P50Ms)} ms "
            + $"({Signed(grain.P50Ms - shard.P50Ms)} ms); "
            + $"fan-out to {gateway.Shards} shard grains + merge {F2(fanOut.P50Ms)} ms (one thread scanning everything: {F2(exact.P50Ms)} ms) "
            + $"({Signed(fanOut.P50Ms - grain.P50Ms)} ms over one grain call) "
            + $"→ gateway over HTTP {F2(gateway.P50Ms)} ms ({Signed(gateway.P50Ms - fanOut.P50Ms)} ms over the fan-out), of which the handler's own tookMs {F2(gateway.TookP50Ms!.Value)} ms. "
            + $"Gateway = {gateway.P50Ms / exact.P50Ms:F2}× the one-index scan.");
        foreach (var run in runs.Where(run => run.Case == "gateway-http"))
        {
            var scaling = run.Concurrency == lowest ? "" : $"{run.Qps / gateway.Qps:F2}× its concurrency-{lowest} QPS and ";
            report.Line(
                $"Gateway at concurrency {run.Concurrency}: {F1(run.Qps)} QPS = {scaling}{run.Qps / exact.Qps:F2}× the one-thread scan's; "
                + $"p50 {F2(run.P50Ms)} ms, p99 {F2(run.P99Ms)} ms.");
        }

        foreach (var keyed in runs.Where(run => run.Case == "gateway-http-keys"))
        {
            var open = runs.Single(run => run.Case == "gateway-http" && run.Concurrency == keyed.Concurrency);
            report.Line(
                $"Keys on vs off at concurrency {keyed.Concurrency}: p50 {F2(open.P50Ms)} → {F2(keyed.P50Ms)} ms ({Signed(keyed.P50Ms - open.P50Ms)} ms), "
                + $"p99 {F2(open.P99Ms)} → {F2(keyed.P99Ms)} ms ({Signed(keyed.P99Ms - open.P99Ms)} ms), QPS {F1(open.Qps)} → {F1(keyed.Qps)}.");
        }

        report.LoadAtEnd();
        report.Line();
        report.Json(load);
        foreach (var run in runs)
        {
            report.Json(run);
        }
    }

    private static int CountEqual(string[][] answers, string[][] exact) =>
        answers.Zip(exact).Count(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    /// <summary>Share of the exact top-k ids that the answers hold, over all queries.</summary>
    private static double Recall(string[][] answers, string[][] exact)
    {
        var (found, wanted) = (0, 0);
        foreach (var (answer, truth) in answers.Zip(exact))
        {
            found += answer.Count(truth.Contains);
            wanted += truth.Length;
        }

        return wanted == 0 ? 1 : Math.Round((double)found / wanted, 4);
    }

    private static ReadOnlySpan<float> Query(float[] rows, int row) => rows.AsSpan(row * Dimension, Dimension);

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {body}");
        }
    }

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string F2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string Signed(double value) => value.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
}
