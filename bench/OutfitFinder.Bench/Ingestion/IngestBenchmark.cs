using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Bench.Embedding;
using OutfitFinder.Bench.Reporting;
using OutfitFinder.Bench.Search;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Images;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Bench.Ingestion;

/// <summary>What <c>ingest</c> measures.</summary>
/// <param name="Photos">JPEG photos to ingest; null for the clothing photos beside the repository.</param>
/// <param name="Count">Photos (products) per ingestion.</param>
/// <param name="Azurite">The azurite-blob executable for the Azure source; null to skip it.</param>
/// <param name="LoadVectors">Vectors in the one-shard catalog whose load time is measured; 0 to skip.</param>
internal sealed record IngestSettings(DirectoryInfo? Photos, int Count, string? Azurite, int LoadVectors);

/// <summary>One measured rate.</summary>
internal sealed record IngestMeasurement(string Benchmark, string Case, int Images, double Seconds, double ImagesPerSecond, double VersusRawModel);

/// <summary>Time to activate a shard from its snapshot and log, scaled to a million vectors.</summary>
internal sealed record ShardLoadMeasurement(string Benchmark, int Vectors, int Dimension, double Seconds, double SecondsPerMillionVectors);

/// <summary>
/// <c>ingest</c>: images/s of a server-side ingestion job over real photos, from a folder source and
/// from an Azure Blob source (Azurite on loopback), beside the raw model throughput (ResNet18 on
/// photos decoded beforehand, batch 32) measured in the same run; and how long a shard takes to load.
/// </summary>
internal static class IngestBenchmark
{
    public static async Task<int> RunAsync(IngestSettings settings, Report report, CancellationToken cancellationToken)
    {
        report.Machine();
        var sourceRoot = Directory.CreateTempSubdirectory("outfit-bench-source-").FullName;
        var storageRoot = Directory.CreateTempSubdirectory("outfit-bench-ingest-").FullName;
        Process? azurite = null;
        try
        {
            var files = CopyPhotos(settings, sourceRoot, report);
            var raw = MeasureRawModel(files);
            report.Line($"{files.Count} photos; raw model (ResNet18 on decoded photos, batch 32): {raw:F1} images/s.");
            var measurements = new List<IngestMeasurement>
            {
                new("ingest", "raw model (preprocess + run on decoded photos, batch 32)", files.Count, files.Count / raw, raw, 1),
            };

            var gatewaySettings = new List<string>
            {
                "--Ingestion:Sources:folder:Kind=Folder", $"--Ingestion:Sources:folder:Path={sourceRoot}",
            };
            if (settings.Azurite is not null)
            {
                var (process, connectionString) = await StartAzuriteAsync(settings.Azurite, cancellationToken);
                azurite = process;
                await UploadAsync(sourceRoot, connectionString, cancellationToken);
                gatewaySettings.AddRange(["--Ingestion:Sources:azure:Kind=AzureBlob", $"--Ingestion:Sources:azure:ConnectionString={connectionString}",
                    "--Ingestion:Sources:azure:Container=photos"]);
            }
            else
            {
                report.Line("NOTE: no Azurite (pass --azurite or set OUTFIT_AZURITE); the Azure Blob source is not measured.");
            }

            await using (var gateway = await InProcessGateway.StartAsync(storageRoot, gatewaySettings, cancellationToken))
            {
                using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromMinutes(5) };

                // Untimed: the first job pays for loading the model into the silo.
                await IngestAsync(http, "folder", "warm-up.csv", cancellationToken);
                foreach (var source in settings.Azurite is null ? ["folder"] : new[] { "folder", "azure" })
                {
                    var seconds = await IngestAsync(http, source, "manifest.csv", cancellationToken);
                    var rate = files.Count / seconds;
                    measurements.Add(new("ingest", $"ingestion job, {source} source", files.Count, seconds, rate, rate / raw));
                }
            }

            var table = new MarkdownTable("case", "images", "seconds", "images/s", "vs raw model");
            foreach (var m in measurements)
            {
                table.Add(m.Case, m.Images.ToString(CultureInfo.InvariantCulture), m.Seconds.ToString("F1", CultureInfo.InvariantCulture),
                    m.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture), $"{m.VersusRawModel:P0}");
                report.Json(m);
            }

            report.Table(table);
            if (settings.LoadVectors > 0)
            {
                var load = await MeasureShardLoadAsync(settings.LoadVectors, Directory.CreateTempSubdirectory("outfit-bench-load-").FullName, cancellationToken);
                report.Line($"Shard load: {load.Vectors:N0} × {load.Dimension} vectors in one shard activated in {load.Seconds:F2} s = {load.SecondsPerMillionVectors:F1} s per million vectors (scaled linearly).");
                report.Json(load);
            }

            report.LoadAtEnd();
            return 0;
        }
        finally
        {
            if (azurite is { HasExited: false })
            {
                azurite.Kill(entireProcessTree: true);
            }

            Directory.Delete(sourceRoot, recursive: true);
            Directory.Delete(storageRoot, recursive: true);
        }
    }

    private static List<string> CopyPhotos(IngestSettings settings, string sourceRoot, Report report)
    {
        var folder = settings.Photos?.FullName ?? BenchPhotos.FindDefaultFolder()
            ?? throw new DirectoryNotFoundException($"Clothing photos not found ({BenchPhotos.DefaultFolder} beside the repository root); pass --photos DIR.");
        var files = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(settings.Count).ToList();
        Directory.CreateDirectory(Path.Combine(sourceRoot, "images"));
        var manifest = new List<string> { "product_id,image" };
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            File.Copy(file, Path.Combine(sourceRoot, "images", name));
            manifest.Add($"{Path.GetFileNameWithoutExtension(name)},images/{name}");
        }

        File.WriteAllLines(Path.Combine(sourceRoot, "manifest.csv"), manifest);
        File.WriteAllLines(Path.Combine(sourceRoot, "warm-up.csv"), manifest.Take(33));
        report.Line($"Photos: {files.Count} from {folder} (copied to a temporary source folder).");
        return [.. files.Select(file => Path.Combine(sourceRoot, "images", Path.GetFileName(file)))];
    }

    /// <summary>
    /// The model's own rate, the ceiling for any ingestion: ResNet18 (preprocessing and the model
    /// call) on photos decoded beforehand, at batch 32, one caller using every core.
    /// </summary>
    private static double MeasureRawModel(List<string> files)
    {
        using var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance);
        var images = files.Select(file => ImageDecoder.Decode(File.ReadAllBytes(file), ImageLimits.Default)).ToList();
        try
        {
            embedder.Embed(images.Take(32).ToList());
            var started = Stopwatch.GetTimestamp();
            foreach (var batch in images.Chunk(32))
            {
                embedder.Embed(batch);
            }

            return images.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        finally
        {
            images.ForEach(image => image.Dispose());
        }
    }

    private static async Task<double> IngestAsync(HttpClient http, string source, string manifest, CancellationToken cancellationToken)
    {
        var catalog = $"bench-{source}-{Path.GetFileNameWithoutExtension(manifest)}";
        (await http.PutAsJsonAsync($"/v1/catalogs/{catalog}", new { shards = 4 }, cancellationToken)).EnsureSuccessStatusCode();
        var started = Stopwatch.GetTimestamp();
        var start = await http.PostAsJsonAsync($"/v1/catalogs/{catalog}/ingestions", new { source, manifest, id = "bench" }, cancellationToken);
        start.EnsureSuccessStatusCode();
        while (true)
        {
            await Task.Delay(100, cancellationToken);
            using var status = JsonDocument.Parse(await http.GetStringAsync($"/v1/catalogs/{catalog}/ingestions/bench", cancellationToken));
            var state = status.RootElement.GetProperty("state").GetString();
            if (state != "running")
            {
                var failed = status.RootElement.GetProperty("failed").GetInt64();
                return state == "succeeded" && failed == 0
                    ? Stopwatch.GetElapsedTime(started).TotalSeconds
                    : throw new InvalidOperationException($"The {source} ingestion ended {state} with {failed} failed rows: {status.RootElement}");
            }
        }
    }

    private static async Task<ShardLoadMeasurement> MeasureShardLoadAsync(int vectors, string storageRoot, CancellationToken cancellationToken)
    {
        const int dimension = 512;
        try
        {
            await using (var gateway = await InProcessGateway.StartAsync(storageRoot, [], cancellationToken))
            {
                await gateway.Grains.GetGrain<ICatalogGrain>("load").CreateAsync(new CatalogSpec("resnet18", "cosine", 1), cancellationToken);
                var shard = gateway.Grains.GetGrain<ICatalogShardGrain>(ShardKeys.For("load", 0));
                var data = new ClusteredVectors(dimension, clusterCount: 100, seed: 5).Next(vectors);
                for (var offset = 0; offset < vectors; offset += 2000)
                {
                    var count = Math.Min(2000, vectors - offset);
                    var batch = Enumerable.Range(offset, count)
                        .Select(i => new ProductUpsert($"v{i}", null, null, 1, PackedVectors.Pack(data.AsSpan(i * dimension, dimension))))
                        .ToArray();
                    await shard.UpsertBatchAsync(batch, cancellationToken);
                }
            }

            await using var restarted = await InProcessGateway.StartAsync(storageRoot, [], cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var counts = await restarted.Grains.GetGrain<ICatalogShardGrain>(ShardKeys.For("load", 0)).GetCountsAsync(cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return counts.Images != vectors
                ? throw new InvalidOperationException($"The shard came back with {counts.Images} vectors, not {vectors}.")
                : new ShardLoadMeasurement("shard-load", vectors, dimension, seconds, seconds * 1_000_000 / vectors);
        }
        finally
        {
            Directory.Delete(storageRoot, recursive: true);
        }
    }

    private static async Task<(Process Process, string ConnectionString)> StartAzuriteAsync(string executable, CancellationToken cancellationToken)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--inMemoryPersistence",
                     "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Azurite's well-known development account key.
        var connectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            + $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await new BlobContainerClient(connectionString, "photos").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                return (process, connectionString);
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private static async Task UploadAsync(string sourceRoot, string connectionString, CancellationToken cancellationToken)
    {
        var container = new BlobContainerClient(connectionString, "photos");
        var files = Directory.EnumerateFiles(sourceRoot, "*", SearchOption.AllDirectories).ToList();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (file, token) =>
            await container.GetBlobClient(Path.GetRelativePath(sourceRoot, file).Replace('\\', '/')).UploadAsync(file, overwrite: true, token));
    }
}
