using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary><c>"replicas"</c> on a catalog, in the embedded one-silo gateway: accepted, changed live, and answering searches.</summary>
public sealed class ReplicasTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Http => fixture.Http;

    private static byte[] Jpeg(GarmentSpec spec)
    {
        using var bitmap = GarmentImages.Draw(spec);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public async Task CreateCatalog_Returns400_WhenReplicasIsOutOfRange(int replicas)
    {
        var response = await Http.CreateCatalogAsync($"replicas-bad-{replicas}", new { model = "whitebox", shards = 1, replicas });

        var detail = await response.AssertProblemAsync(400);
        Assert.Contains("replicas", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_AnswersWholeFromReplicas_AfterReplicasAreRaisedOnALiveCatalog()
    {
        const string catalog = "replicated";
        // localise none: one fan-out per search, so each answer comes from one copy per shard.
        var created = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2, localise = "none" });
        Assert.Equal(1, (await created.Content.ReadFromJsonAsync<CatalogBody>(Api.Json))!.Replicas);
        var products = GarmentCatalog.Generate(4, seed: 31);
        foreach (var (id, spec) in products)
        {
            (await Http.PutProductAsync(catalog, id, [Jpeg(spec)], spec.Category)).EnsureSuccessStatusCode();
        }

        var raised = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2, replicas = 3 });

        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        Assert.Equal(3, (await raised.Content.ReadFromJsonAsync<CatalogBody>(Api.Json))!.Replicas);
        Assert.Equal(3, (await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json))!.Replicas);
        var (queryId, querySpec) = products[1];
        var answers = new List<SearchBody>();
        for (var i = 0; i < 9; i++)
        {
            answers.Add(await (await Http.SearchByImageAsync(catalog, Jpeg(querySpec), "k=10")).ReadSearchAsync());
        }

        Assert.All(answers, answer =>
        {
            Assert.False(answer.Partial);
            Assert.Equal(4, answer.Results.Count);
            Assert.Equal(queryId, answer.Results[0].ProductId);
        });
        // Copies take turns: some answers came through a read replica, and say so.
        Assert.Contains(answers, answer => answer.Stale);
        Assert.Contains(answers, answer => !answer.Stale);
    }

    [Fact]
    public async Task CreateCatalog_Returns409_WhenShardsChangeAlongWithReplicas()
    {
        const string catalog = "replicas-conflict";
        (await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2 })).EnsureSuccessStatusCode();

        var response = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 3, replicas = 2 });

        var detail = await response.AssertProblemAsync(409);
        Assert.Contains("only replicas and fields may change", detail, StringComparison.Ordinal);
        Assert.Equal(1, (await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json))!.Replicas);
    }

    [Fact]
    public async Task CreateCatalog_KeepsModelAndLocalisation_WhenAReplicasChangeLeavesThemOut()
    {
        const string catalog = "replicas-keep";
        (await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2, localise = "none" })).EnsureSuccessStatusCode();

        var raised = await Http.CreateCatalogAsync(catalog, new { shards = 2, replicas = 2 });

        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        using var body = JsonDocument.Parse(await raised.Content.ReadAsStringAsync());
        Assert.Equal("whitebox", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("none", body.RootElement.GetProperty("localise").GetString());
        Assert.Equal(2, body.RootElement.GetProperty("replicas").GetInt32());
    }

    [Fact]
    public async Task Search_FiltersThroughReplicas_IncludingOnAFieldDeclaredAfterTheyOpened()
    {
        const string catalog = "replicas-filter";
        var created = await Http.CreateCatalogAsync(catalog,
            new { model = "none", dimension = 4, shards = 1, replicas = 3, fields = new { price = "number" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string[] brands = ["acme", "zen", "orbit"];
        for (var i = 0; i < 12; i++)
        {
            var put = await Http.PutAsJsonAsync($"/v1/catalogs/{catalog}/products/p{i}",
                new { vectors = new[] { new[] { 1f, i, 0.5f, -i } }, metadata = new { price = i * 10.0, brand = brands[i % 3] } });
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        string[] cheap = [.. Enumerable.Range(0, 5).Select(i => $"p{i}").Order(StringComparer.Ordinal)];
        var byPrice = await SearchManyAsync(catalog, new { price = new { lt = 50 } }, until: answers => answers.Any(answer => answer.Stale));
        Assert.All(byPrice, answer => Assert.Equal(cheap, Ids(answer)));

        // Declared now, after the replicas loaded the shard: a replica that does not know it yet leaves the answer to another copy.
        (await Http.CreateCatalogAsync(catalog, new { model = "none", dimension = 4, shards = 1, fields = new { brand = "string" } })).EnsureSuccessStatusCode();
        string[] zen = [.. Enumerable.Range(0, 12).Where(i => i % 3 == 1).Select(i => $"p{i}").Order(StringComparer.Ordinal)];
        var byBrand = await SearchManyAsync(catalog, new { brand = "zen" }, until: answers => answers.Any(answer => answer.Stale));
        Assert.All(byBrand, answer => Assert.Equal(zen, Ids(answer)));
        Assert.Contains(byBrand, answer => answer.Stale);
    }

    private static string[] Ids(SearchBody answer) => [.. answer.Results.Select(hit => hit.ProductId).Order(StringComparer.Ordinal)];

    /// <summary>Searches by vector with a filter until <paramref name="until"/> holds (at most 15 s), checking none is partial.</summary>
    private async Task<List<SearchBody>> SearchManyAsync(string catalog, object filter, Func<List<SearchBody>, bool> until)
    {
        var answers = new List<SearchBody>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (answers.Count < 6 || (!until(answers) && DateTime.UtcNow < deadline))
        {
            var response = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector = new[] { 1f, 0.5f, 0.25f, 0 }, k = 100, filter });
            var answer = await response.ReadSearchAsync();
            Assert.False(answer.Partial);
            answers.Add(answer);
            await Task.Delay(50);
        }

        return answers;
    }
}
