using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.Bench.Embedding;
using OutfitFinder.Bench.Reporting;
using SkiaSharp;

namespace OutfitFinder.Bench.Cluster;

internal sealed record ExtractionSpreadSettings(IReadOnlyList<int> GpuSilos, int Silos, int Photos, DirectoryInfo? PhotoFolder, TimeSpan JobLimit);

/// <summary>
/// An ingestion job of ResNet18 photos on a cluster of real processes, with one and then two silos told they have a
/// GPU: the job's images/s and how the images split over the silos (from <c>GET /v1/cluster</c>).
/// </summary>
internal static class ExtractionSpreadBenchmark
{
    public static async Task RunAsync(ExtractionSpreadSettings settings, Report report, CancellationToken cancellationToken)
    {
        var root = ClusterFailureBenchmark.RepositoryRoot();
        report.Machine();
        string described;
        ManifestSource source;
        using (var photos = BenchPhotos.Load(settings.Photos, settings.PhotoFolder, report.Output))
        {
            described = photos.Source;
            source = new ManifestSource(photos.Images.Count, "jpg", i => Jpeg(photos.Images[i]));
        }

        using (source)
        {
            report.Line($"{settings.Silos} silos (Redis membership, loopback), an ingestion job of {settings.Photos} photos ({described}) into a ResNet18 catalog of 4 shards.");
            var table = new MarkdownTable("silos told gpu=true", "job images/s", "images embedded per silo (gpu silos first)");
            foreach (var gpus in settings.GpuSilos)
            {
                table.Add(await RunOneAsync(root, source, gpus, settings, report, cancellationToken));
            }

            report.Table(table);
            report.LoadAtEnd();
        }
    }

    private static async Task<string[]> RunOneAsync(string root, ManifestSource source, int gpus, ExtractionSpreadSettings settings, Report report, CancellationToken cancellationToken)
    {
        var siloArgs = $"--Extraction:Gpu=false {source.SiloArgs}";
        await using var cluster = await ScriptedCluster.StartAsync(root, settings.Silos, siloArgs, null, cancellationToken, gpus);
        (await cluster.Http.PutAsJsonAsync("/v1/catalogs/photos", new { model = "resnet18", shards = 4 }, cancellationToken)).EnsureSuccessStatusCode();
        // One photo search per extraction silo first, so no silo's model load falls inside the timed job.
        var photo = await File.ReadAllBytesAsync(Path.Combine(source.Folder, "images", "p0.jpg"), cancellationToken);
        for (var i = 0; i < gpus * 2; i++)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(photo), "image", "q.jpg" } };
            (await cluster.Http.PostAsync("/v1/catalogs/photos/search?k=1", form, cancellationToken)).EnsureSuccessStatusCode();
        }

        var warm = await EmbeddedPerSiloAsync(cluster, cancellationToken);
        var clock = Stopwatch.StartNew();
        (await cluster.Http.PostAsJsonAsync("/v1/catalogs/photos/ingestions", new { source = "local", manifest = ManifestSource.Manifest, id = "load" }, cancellationToken))
            .EnsureSuccessStatusCode();
        string state;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            using var job = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/catalogs/photos/ingestions/load", cancellationToken));
            state = job.RootElement.GetProperty("state").GetString()!;
        }
        while (state == "running" && clock.Elapsed < settings.JobLimit);

        var seconds = clock.Elapsed.TotalSeconds;
        var after = await EmbeddedPerSiloAsync(cluster, cancellationToken);
        var split = after.OrderByDescending(silo => silo.Gpu).Select(silo => silo.Images - warm.Single(before => before.Address == silo.Address).Images).ToList();
        report.Json(new { benchmark = "extraction-spread", gpuSilos = gpus, settings.Photos, state, imagesPerSecond = Report.Rate(settings.Photos / seconds), split });
        return [$"{gpus} of {settings.Silos}", state == "succeeded" ? $"{settings.Photos / seconds:F1}" : state, string.Join(" / ", split)];
    }

    private static async Task<List<(string Address, bool Gpu, long Images)>> EmbeddedPerSiloAsync(ScriptedCluster cluster, CancellationToken cancellationToken) =>
        [.. (await cluster.SilosAsync(cancellationToken)).Select(silo => (silo.GetProperty("address").GetString()!, silo.GetProperty("gpu").GetBoolean(),
            silo.GetProperty("imagesEmbedded").ValueKind == JsonValueKind.Number ? silo.GetProperty("imagesEmbedded").GetInt64() : 0))];

    private static byte[] Jpeg(SKBitmap image)
    {
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }
}
