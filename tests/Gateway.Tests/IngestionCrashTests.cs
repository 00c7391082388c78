using System.Net.Http.Json;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The whole product as an operator runs it: the gateway process is killed with SIGKILL in the
/// middle of an ingestion, started again on the same storage, and must finish the job with exactly
/// the catalog an uninterrupted run builds.
/// </summary>
public sealed class IngestionCrashTests : IDisposable
{
    private const int ProductCount = 160;
    private readonly IngestionSourceFolder _source = new(ProductCount, seed: 23);
    private readonly string _storage = Directory.CreateTempSubdirectory("outfit-crash-").FullName;

    public void Dispose()
    {
        _source.Dispose();
        Directory.Delete(_storage, recursive: true);
    }

    [Fact]
    public async Task KilledMidIngestion_ResumesAfterRestart_AndMatchesAnUninterruptedRun()
    {
        var manifest = _source.WriteCsv("catalog.csv");
        var settings = new Dictionary<string, string>
        {
            ["Storage:Root"] = _storage,
            ["Ingestion:Sources:shop:Kind"] = "Folder",
            ["Ingestion:Sources:shop:Path"] = _source.Root,
            ["Ingestion:BatchImages"] = "8",
            ["Ingestion:BatchesInFlight"] = "1",
            ["Ingestion:CheckpointInterval"] = "00:00:00.1",
            ["Ingestion:ResumeScanInterval"] = "00:00:01",
        };

        StatusBody atKill;
        await using (var first = await GatewayProcess.StartAsync(settings))
        {
            (await first.Http.CreateCatalogAsync("crashed", new { shards = 3 })).EnsureSuccessStatusCode();
            (await first.Http.PostAsJsonAsync("/v1/catalogs/crashed/ingestions", new { source = "shop", manifest, id = "job" })).EnsureSuccessStatusCode();
            atKill = await WaitAsync(first.Http, "crashed", "job", status => status.Succeeded >= 24 || status.State != "running");
            await Task.Delay(300); // past a checkpoint write
            await first.KillAsync();
        }

        Assert.True(atKill.State == "running" && atKill.Succeeded < ProductCount, $"the job was not midway when killed: {atKill}");

        await using var second = await GatewayProcess.StartAsync(settings);
        var resumed = await WaitAsync(second.Http, "crashed", "job", status => status.State != "running");
        (await second.Http.CreateCatalogAsync("reference", new { shards = 3 })).EnsureSuccessStatusCode();
        (await second.Http.PostAsJsonAsync("/v1/catalogs/reference/ingestions", new { source = "shop", manifest, id = "job" })).EnsureSuccessStatusCode();
        var reference = await WaitAsync(second.Http, "reference", "job", status => status.State != "running");

        Assert.True(resumed.State == "succeeded", $"{resumed}\n{second.Output}");
        Assert.Equal(1, resumed.Resumes);
        Assert.Equal((ProductCount, 0L, 0L), (resumed.Succeeded, resumed.Failed, resumed.Skipped));
        Assert.Equal((reference.Succeeded, reference.Total), (resumed.Succeeded, resumed.Total));
        var crashed = await second.Http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/crashed", Api.Json);
        var uninterrupted = await second.Http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/reference", Api.Json);
        Assert.Equal((uninterrupted!.Products, uninterrupted.Images), (crashed!.Products, crashed.Images));
        foreach (var (productId, _) in _source.Products.Where((_, i) => i % 16 == 0))
        {
            var a = await (await second.Http.SearchByImageAsync("crashed", _source.Images[productId], "k=5")).ReadSearchAsync();
            var b = await (await second.Http.SearchByImageAsync("reference", _source.Images[productId], "k=5")).ReadSearchAsync();
            Assert.Equal(productId, a.Results[0].ProductId);
            Assert.Equal(b.Results.Select(hit => (hit.ProductId, hit.Score)), a.Results.Select(hit => (hit.ProductId, hit.Score)));
        }
    }

    private static async Task<StatusBody> WaitAsync(HttpClient http, string catalog, string id, Func<StatusBody, bool> until)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var status = await http.GetFromJsonAsync<StatusBody>($"/v1/catalogs/{catalog}/ingestions/{id}", Api.Json);
            if (until(status!))
            {
                return status!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting on {catalog}/{id}: {status}");
            await Task.Delay(50);
        }
    }
}
