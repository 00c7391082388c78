using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.Bench.Reporting;
using OutfitFinder.Core.Extraction.WhiteBox;
using OutfitFinder.Core.Images;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Bench.Cluster;

internal sealed record CapacitySettings(IReadOnlyList<int> Silos, int HeapLimitMiB, int Products, int Shards, int Queries, TimeSpan JobLimit);

/// <summary>
/// Capacity scale-out: the same catalog ingested into one silo and into three, each silo's managed heap capped
/// (<c>DOTNET_GCHeapHardLimit</c>). Reports what each cluster held, and the recall@10 of searches through the
/// three-silo gateway against the exact answer computed in this process on the same vectors.
/// </summary>
internal static class CapacityBenchmark
{
    private const int K = 10;

    public static async Task RunAsync(CapacitySettings settings, Report report, CancellationToken cancellationToken)
    {
        var root = ClusterFailureBenchmark.RepositoryRoot();
        report.Machine();
        using var source = new ManifestSource(settings.Products, "bmp", i => NoiseBitmaps.Bmp(i));
        var vectorBytes = (long)settings.Products * 1860 * sizeof(float);
        report.Line($"{settings.Products} products of one 1,860-float white-box vector ({vectorBytes / (1024.0 * 1024):F0} MiB of vectors), " +
            $"{settings.Shards} shards, every silo's managed heap capped at {settings.HeapLimitMiB} MiB.");
        var table = new MarkdownTable("silos", "job", "products held", "heap per live silo (MiB)", "silos alive at the end", "recall@10 vs exact");
        foreach (var silos in settings.Silos)
        {
            table.Add(await RunOneAsync(root, source, silos, settings, report, cancellationToken));
        }

        report.Table(table);
        report.LoadAtEnd();
    }

    private static async Task<string[]> RunOneAsync(string root, ManifestSource source, int silos, CapacitySettings settings, Report report, CancellationToken cancellationToken)
    {
        var siloArgs = $"--Extraction:Gpu=false --Extraction:Preload:0=whitebox {source.SiloArgs}";
        await using var cluster = await ScriptedCluster.StartAsync(root, silos, siloArgs, settings.HeapLimitMiB, cancellationToken);
        (await cluster.Http.PutAsJsonAsync("/v1/catalogs/cap", new { model = "whitebox", shards = settings.Shards }, cancellationToken)).EnsureSuccessStatusCode();
        (await cluster.Http.PostAsJsonAsync("/v1/catalogs/cap/ingestions", new { source = "local", manifest = ManifestSource.Manifest, id = "load" }, cancellationToken))
            .EnsureSuccessStatusCode();

        var state = await WaitForJobAsync(cluster.Http, settings.JobLimit, cancellationToken);
        var held = await ProductsAsync(cluster.Http, cancellationToken);
        var live = (await SilosOrEmptyAsync(cluster, cancellationToken)).Where(silo => silo.GetProperty("status").GetString() == "Active").ToList();
        var heaps = string.Join(" / ", live.Select(silo => silo.TryGetProperty("heapBytes", out var heap) && heap.ValueKind == JsonValueKind.Number
            ? $"{heap.GetInt64() / (1024.0 * 1024):F0}" : "?"));
        double? recall = held == settings.Products ? await RecallAsync(cluster.Http, settings, cancellationToken) : null;
        report.Json(new { benchmark = "capacity", silos, heapLimitMiB = settings.HeapLimitMiB, settings.Products, job = state, held, liveSilos = live.Count, recall });
        report.Line($"{silos} silo(s): job {state}.");
        return [$"{silos}", state, $"{held?.ToString() ?? "no answer"} of {settings.Products}", heaps, $"{live.Count} of {silos}", recall is { } r ? $"{r:F3}" : "—"];
    }

    /// <summary>The job's state once it ends, "stalled" when it stops making progress, or "no answer" when the gateway cannot say.</summary>
    private static async Task<string> WaitForJobAsync(HttpClient http, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (lastDone, lastProgress) = (-1L, clock.Elapsed);
        while (clock.Elapsed < limit)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            try
            {
                using var job = JsonDocument.Parse(await http.GetStringAsync("/v1/catalogs/cap/ingestions/load", cancellationToken));
                var state = job.RootElement.GetProperty("state").GetString()!;
                if (state != "running")
                {
                    // A failed job says why: the first words of its error are enough for the table.
                    return job.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                        ? $"{state}: {error.GetString()![..Math.Min(120, error.GetString()!.Length)]}"
                        : state;
                }

                var done = job.RootElement.GetProperty("succeeded").GetInt64() + job.RootElement.GetProperty("failed").GetInt64();
                if (done != lastDone)
                {
                    (lastDone, lastProgress) = (done, clock.Elapsed);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
            {
            }

            if (clock.Elapsed - lastProgress > TimeSpan.FromSeconds(90))
            {
                return "stalled";
            }
        }

        return "timed out";
    }

    private static async Task<long?> ProductsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            return (await http.GetFromJsonAsync<JsonElement>("/v1/catalogs/cap", cancellationToken)).GetProperty("products").GetInt64();
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> SilosOrEmptyAsync(ScriptedCluster cluster, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.SilosAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    /// <summary>Recall@10 of vector searches through the gateway against an exact cosine scan, here, of the same images' vectors.</summary>
    private static async Task<double> RecallAsync(HttpClient http, CapacitySettings settings, CancellationToken cancellationToken)
    {
        using var embedder = new WhiteBoxEmbedder();
        var catalog = Enumerable.Range(0, settings.Products).Select(i => Embed(embedder, i)).ToArray();
        var found = 0;
        for (var q = 0; q < settings.Queries; q++)
        {
            var query = Embed(embedder, 1_000_000 + q);
            var exact = catalog.Select((vector, i) => (id: $"p{i}", score: Cosine(query, vector)))
                .OrderByDescending(hit => hit.score).Take(K).Select(hit => hit.id).ToHashSet(StringComparer.Ordinal);
            using var response = await http.PostAsJsonAsync("/v1/catalogs/cap/search", new { vector = query, k = K }, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            found += body.RootElement.GetProperty("results").EnumerateArray().Count(hit => exact.Contains(hit.GetProperty("productId").GetString()!));
        }

        return found / (double)(settings.Queries * K);
    }

    private static float[] Embed(WhiteBoxEmbedder embedder, int seed)
    {
        using var bitmap = ImageDecoder.Decode(NoiseBitmaps.Bmp(seed), new ImageLimits());
        return embedder.Embed([bitmap]);
    }

    private static double Cosine(float[] a, float[] b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
