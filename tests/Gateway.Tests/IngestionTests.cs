using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>Bulk ingestion jobs through the REST API, against the real embedded cluster and ResNet18.</summary>
public sealed class IngestionTests : IAsyncLifetime
{
    private const int ProductCount = 12;
    private readonly IngestionSourceFolder _source = new(ProductCount);
    private GatewayFactory _factory = null!;
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _factory = new GatewayFactory(overrides: SourceSettings(_source.Root));
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        Directory.Delete(_factory.StorageRoot, recursive: true);
        _source.Dispose();
    }

    internal static Dictionary<string, string?> SourceSettings(string folder) => new()
    {
        ["Ingestion:Sources:shop:Kind"] = "Folder",
        ["Ingestion:Sources:shop:Path"] = folder,
        ["Ingestion:CheckpointInterval"] = "00:00:00.2",
        ["Ingestion:BatchImages"] = "4",
        ["Images:MaxBytes"] = "200000",
    };

    [Fact]
    public async Task Ingestion_StoresEveryGoodProduct_AndListsBadRowsWithReasons()
    {
        File.WriteAllBytes(Path.Combine(_source.Root, "images", "broken.jpg"), "not a jpeg at all"u8.ToArray());
        File.WriteAllBytes(Path.Combine(_source.Root, "images", "huge.jpg"), new byte[300_000]);
        var manifest = _source.WriteCsv(
            "catalog.csv",
            ",images/p0001.jpg,Dress,Plain",
            "ghost,images/missing.jpg,Dress,Plain",
            "twoimages,images/p0002.jpg,Top,Plain",
            "twoimages,images/broken.jpg,Top,Plain",
            "huge,images/huge.jpg,Top,Plain");
        await CreateCatalogAsync("bulk");

        var status = await RunToEndAsync("bulk", manifest);

        Assert.Equal("completedWithErrors", status.State);
        Assert.Equal(ProductCount + 5, status.Total);
        Assert.Equal(ProductCount, status.Succeeded);
        Assert.Equal(4, status.Failed);
        Assert.Equal(1, status.Skipped);
        Assert.Equal([ProductCount + 2, ProductCount + 3, ProductCount + 5, ProductCount + 6], status.Failures.Select(f => f.Row));
        Assert.Contains("product_id", status.Failures[0].Reason);
        Assert.Equal("ghost", status.Failures[1].ProductId);
        Assert.Contains("not found", status.Failures[1].Reason);
        Assert.Equal("images/broken.jpg", status.Failures[2].Image);
        Assert.Contains("format is not recognised", status.Failures[2].Reason);
        Assert.Contains("the limit is 200,000 (Images:MaxBytes)", status.Failures[3].Reason);

        var catalog = await _http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/bulk", Api.Json);
        Assert.Equal((ProductCount, ProductCount), (catalog!.Products, catalog.Images));
        var (productId, spec) = _source.Products[3];
        var product = await _http.GetFromJsonAsync<ProductBody>($"/v1/catalogs/bulk/products/{productId}", Api.Json);
        Assert.Equal(spec.Category, product!.Category);
        Assert.Equal(spec.Pattern.ToString(), product.Metadata!.Value.GetProperty("pattern").GetString());
        Assert.Equal(_source.Images[productId], await _http.GetByteArrayAsync($"/v1/catalogs/bulk/products/{productId}/images/0"));
        var hits = await (await _http.SearchByImageAsync("bulk", _source.Images[_source.Products[5].ProductId], "k=3")).ReadSearchAsync();
        Assert.Equal(_source.Products[5].ProductId, hits.Results[0].ProductId);
    }

    [Fact]
    public async Task Ingestion_RunTwice_LeavesTheCatalogAsOnce()
    {
        var manifest = _source.WriteCsv("catalog.csv");
        await CreateCatalogAsync("twice");

        await RunToEndAsync("twice", manifest);
        var once = await SearchAllAsync("twice");
        var second = await RunToEndAsync("twice", manifest);
        var twice = await SearchAllAsync("twice");

        Assert.Equal(ProductCount, second.Succeeded);
        var catalog = await _http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/twice", Api.Json);
        Assert.Equal((ProductCount, ProductCount), (catalog!.Products, catalog.Images));
        Assert.Equal(once, twice);
    }

    [Fact]
    public async Task Ingestion_EndsFailed_WhenNoRowWasStored()
    {
        var manifest = _source.WriteFile("nothing.csv", "product_id,image,category\nx1,images/missing-1.jpg,Dress\nx2,images/missing-2.jpg,Dress\n");
        await CreateCatalogAsync("nothing");

        var status = await RunToEndAsync("nothing", manifest);

        Assert.Equal(("failed", 0L, 2L), (status.State, status.Succeeded, status.Failed));
        Assert.Contains("No row was stored", status.Error);
    }

    [Fact]
    public async Task Ingestion_ReadsJsonLinesManifests()
    {
        var lines = _source.Products.Select(p => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["product_id"] = p.ProductId,
            ["image"] = $"/images/{p.ProductId}.jpg", // from the source root, not the manifest's folder
            ["category"] = p.Spec.Category,
            ["price"] = 19.5,
        }));
        var manifest = _source.WriteFile("manifests/catalog.jsonl", string.Join('\n', lines) + "\n{\"product_id\":\"x\",\"image\":{\"nested\":1}}\n");
        await CreateCatalogAsync("lines");

        var status = await RunToEndAsync("lines", manifest);

        Assert.Equal((ProductCount, 1L), (status.Succeeded, status.Failed));
        Assert.Contains("must be a string", status.Failures.Single().Reason);
        var product = await _http.GetFromJsonAsync<ProductBody>("/v1/catalogs/lines/products/p0003", Api.Json);
        Assert.Equal(19.5, product!.Metadata!.Value.GetProperty("price").GetDouble());
    }

    [Fact]
    public async Task Ingestion_ResumesFromItsCheckpoint_WhenItsSiloStoppedMidway()
    {
        // A job whose silo died after storing the first 5 products: its checkpoint says so and it is still "running".
        var manifest = _source.WriteCsv("catalog.csv");
        await CreateCatalogAsync("resumed");
        var first = _source.WriteFile("first.csv", string.Join('\n', File.ReadLines(Path.Combine(_source.Root, manifest)).Take(6)) + "\n");
        var partial = await RunToEndAsync("resumed", first);
        Assert.Equal(5, partial.Succeeded);
        var jobs = Path.Combine(_factory.StorageRoot, "ingestions", "resumed");
        var checkpoint = File.ReadAllText(Path.Combine(jobs, partial.Id + ".json"))
            .Replace("\"state\":\"succeeded\"", "\"state\":\"running\"", StringComparison.Ordinal)
            .Replace("\"manifest\":\"first.csv\"", "\"manifest\":\"catalog.csv\"", StringComparison.Ordinal)
            .Replace("\"total\":5", "\"total\":null", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(jobs, "crashed.json"), checkpoint.Replace($"\"id\":\"{partial.Id}\"", "\"id\":\"crashed\"", StringComparison.Ordinal));

        var status = await WaitForEndAsync("resumed", "crashed");

        Assert.Equal("succeeded", status.State);
        Assert.Equal(1, status.Resumes);
        Assert.Equal((ProductCount, ProductCount), (status.Total, status.Succeeded));
        var catalog = await _http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/resumed", Api.Json);
        Assert.Equal(ProductCount, catalog!.Products);
    }

    [Fact]
    public async Task Cancel_StopsARunningJob_AndKeepsWhatWasStored()
    {
        var rows = Enumerable.Range(0, 3000).Select(i => $"many{i},images/p{i % ProductCount + 1:D4}.jpg,Dress,Plain");
        var manifest = _source.WriteFile("many.csv", "product_id,image,category,pattern\n" + string.Join('\n', rows) + "\n");
        await CreateCatalogAsync("cancelled");

        var started = await StartAsync("cancelled", manifest);
        var cancel = await _http.DeleteAsync($"/v1/catalogs/cancelled/ingestions/{started.Id}");
        var status = await cancel.Content.ReadFromJsonAsync<StatusBody>(Api.Json);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", status!.State);
        Assert.True(status.Succeeded < 3000);
        var again = await _http.DeleteAsync($"/v1/catalogs/cancelled/ingestions/{started.Id}");
        Assert.Contains("already ended", await again.AssertProblemAsync(409));
        var catalog = await _http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/cancelled", Api.Json);
        Assert.True(catalog!.Products >= status.Succeeded);
    }

    [Fact]
    public async Task Start_RefusesBadRequests_WithReasons()
    {
        _source.WriteCsv("catalog.csv");
        _source.WriteFile("headless.csv", "sku,picture\n1,a.jpg\n");
        await CreateCatalogAsync("refusals");

        Assert.Contains("known sources: shop", await (await PostAsync("refusals", new { source = "elsewhere", manifest = "catalog.csv" })).AssertProblemAsync(400));
        Assert.Contains("'..'", await (await PostAsync("refusals", new { source = "shop", manifest = "../etc/passwd" })).AssertProblemAsync(400));
        Assert.Contains("does not exist", await (await PostAsync("refusals", new { source = "shop", manifest = "nope.csv" })).AssertProblemAsync(400));
        Assert.Contains("'product_id'", await (await PostAsync("refusals", new { source = "shop", manifest = "headless.csv" })).AssertProblemAsync(400));
        Assert.Contains("'source'", await (await PostAsync("refusals", new { manifest = "catalog.csv" })).AssertProblemAsync(400));
        Assert.Contains("invalid", await (await PostAsync("refusals", new { source = "shop", manifest = "catalog.csv", id = "Bad Id" })).AssertProblemAsync(400));
        await (await PostAsync("nosuchcatalog", new { source = "shop", manifest = "catalog.csv" })).AssertProblemAsync(404);
        await (await _http.GetAsync("/v1/catalogs/refusals/ingestions/unknown")).AssertProblemAsync(404);
        await (await _http.DeleteAsync("/v1/catalogs/refusals/ingestions/unknown")).AssertProblemAsync(404);
        var noBody = await _http.PostAsync("/v1/catalogs/refusals/ingestions", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, noBody.StatusCode);
    }

    [Fact]
    public async Task Start_WithTheSameId_StartsNothingTwice_AndListShowsTheJob()
    {
        var manifest = _source.WriteCsv("catalog.csv");
        await CreateCatalogAsync("retried");

        var first = await PostAsync("retried", new { source = "shop", manifest, id = "nightly-1" });
        var retry = await PostAsync("retried", new { source = "shop", manifest, id = "nightly-1" });
        var other = await PostAsync("retried", new { source = "shop", manifest = "other.csv", id = "nightly-1" });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("/v1/catalogs/retried/ingestions/nightly-1", first.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await other.AssertProblemAsync(409);
        await WaitForEndAsync("retried", "nightly-1");
        var list = await _http.GetFromJsonAsync<List<StatusBody>>("/v1/catalogs/retried/ingestions", Api.Json);
        Assert.Equal("nightly-1", Assert.Single(list!).Id);
    }

    private async Task CreateCatalogAsync(string catalog) =>
        (await _http.CreateCatalogAsync(catalog, new { shards = 3 })).EnsureSuccessStatusCode();

    private Task<HttpResponseMessage> PostAsync(string catalog, object body) =>
        _http.PostAsJsonAsync($"/v1/catalogs/{catalog}/ingestions", body);

    private async Task<StatusBody> StartAsync(string catalog, string manifest)
    {
        var response = await PostAsync(catalog, new { source = "shop", manifest });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<StatusBody>(Api.Json))!;
    }

    private async Task<StatusBody> RunToEndAsync(string catalog, string manifest) =>
        await WaitForEndAsync(catalog, (await StartAsync(catalog, manifest)).Id);

    private async Task<StatusBody> WaitForEndAsync(string catalog, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = await _http.GetFromJsonAsync<StatusBody>($"/v1/catalogs/{catalog}/ingestions/{id}", Api.Json);
            if (status!.State != "running")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} still running: {JsonSerializer.Serialize(status)}");
            await Task.Delay(100);
        }
    }

    private async Task<List<string>> SearchAllAsync(string catalog)
    {
        var answers = new List<string>();
        foreach (var (productId, _) in _source.Products)
        {
            var hits = await (await _http.SearchByImageAsync(catalog, _source.Images[productId], "k=5")).ReadSearchAsync();
            answers.Add(string.Join(",", hits.Results.Select(hit => $"{hit.ProductId}:{hit.Score:F4}")));
        }

        return answers;
    }
}

internal sealed record StatusBody(
    string Id, string State, long? Total, long Succeeded, long Failed, long Skipped, double ImagesPerSecond, double? EtaSeconds,
    List<FailureBody> Failures, long FailuresNotListed, int Resumes, string? Error);

internal sealed record FailureBody(int Row, string? ProductId, string? Image, string Reason);
