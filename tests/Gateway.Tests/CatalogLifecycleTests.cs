using System.Net;
using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

public sealed class CatalogLifecycleTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Http => fixture.Http;

    private static byte[] Jpeg(GarmentSpec spec)
    {
        using var bitmap = GarmentImages.Draw(spec);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task CreateCatalog_Returns201Then200ThenConflict()
    {
        var created = await Http.CreateCatalogAsync("lifecycle", new { model = "resnet18", metric = "l2", shards = 3 });
        var again = await Http.CreateCatalogAsync("lifecycle", new { model = "resnet18", metric = "l2", shards = 3 });
        var different = await Http.CreateCatalogAsync("lifecycle", new { metric = "cosine", shards = 3 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var detail = await different.AssertProblemAsync(409);
        Assert.Contains("l2", detail);
        var catalog = await Http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/lifecycle", Api.Json);
        Assert.Equal(new CatalogBody("lifecycle", "resnet18", "l2", 512, 3, 0, 0), catalog);
    }

    [Fact]
    public async Task CreateCatalog_AppliesDefaults_WhenBodyIsEmpty()
    {
        var response = await Http.PutAsync("/v1/catalogs/defaults", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var catalog = await response.Content.ReadFromJsonAsync<CatalogBody>(Api.Json);
        Assert.Equal(new CatalogBody("defaults", "resnet18-rmac-street", "cosine", 512, 4, 0, 0), catalog);
    }

    [Fact]
    public async Task DeletedProduct_NeverComesBack()
    {
        const string catalog = "deletes";
        await Http.CreateCatalogAsync(catalog, new { shards = 2 });
        var products = GarmentCatalog.Generate(6, seed: 21);
        foreach (var (id, spec) in products)
        {
            (await Http.PutProductAsync(catalog, id, [Jpeg(spec)], spec.Category)).EnsureSuccessStatusCode();
        }

        var (victim, victimSpec) = products[2];
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync($"/v1/catalogs/{catalog}/products/{victim}")).StatusCode);

        var body = await (await Http.SearchByImageAsync(catalog, Jpeg(victimSpec), "k=10")).ReadSearchAsync();
        Assert.DoesNotContain(body.Results, hit => hit.ProductId == victim);
        Assert.Equal(5, body.Results.Count);
        await (await Http.GetAsync($"/v1/catalogs/{catalog}/products/{victim}")).AssertProblemAsync(404);
        await (await Http.GetAsync($"/v1/catalogs/{catalog}/products/{victim}/images/0")).AssertProblemAsync(404);
        await (await Http.DeleteAsync($"/v1/catalogs/{catalog}/products/{victim}")).AssertProblemAsync(404);
        var counts = await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json);
        Assert.Equal(5, counts!.Products);
    }

    [Fact]
    public async Task PutProduct_Returns201ThenReplacesWith200()
    {
        const string catalog = "replace";
        await Http.CreateCatalogAsync(catalog);
        var specs = GarmentCatalog.Generate(3, seed: 5).Select(p => p.Spec).ToList();

        var first = await Http.PutProductAsync(catalog, "look/42 ü", [Jpeg(specs[0]), Jpeg(specs[1])], "Dress", """{"price": 59.9}""");
        var second = await Http.PutProductAsync(catalog, "look/42 ü", [Jpeg(specs[2])], "Top", """{"brand": "Acme"}""");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var product = await Http.GetFromJsonAsync<ProductBody>($"/v1/catalogs/{catalog}/products/{Uri.EscapeDataString("look/42 ü")}", Api.Json);
        Assert.Equal("Top", product!.Category);
        Assert.Equal(1, product.Images);
        Assert.Equal("Acme", product.Metadata!.Value.GetProperty("brand").GetString());
        Assert.False(product.Metadata.Value.TryGetProperty("price", out _));
        await (await Http.GetAsync($"/v1/catalogs/{catalog}/products/{Uri.EscapeDataString("look/42 ü")}/images/1")).AssertProblemAsync(404);

        // The old images no longer match; the new one does, at index 0.
        var body = await (await Http.SearchByImageAsync(catalog, Jpeg(specs[2]), "k=1")).ReadSearchAsync();
        Assert.Equal(("look/42 ü", 0), (body.Results[0].ProductId, body.Results[0].ImageIndex));
    }

    [Fact]
    public async Task Search_ReportsTheBestImageOfAProductWithSeveral()
    {
        const string catalog = "multi-image";
        await Http.CreateCatalogAsync(catalog, new { shards = 1 });
        var specs = GarmentCatalog.Generate(4, seed: 8).Select(p => p.Spec).ToList();
        (await Http.PutProductAsync(catalog, "outfit", [Jpeg(specs[0]), Jpeg(specs[1]), Jpeg(specs[2])])).EnsureSuccessStatusCode();
        (await Http.PutProductAsync(catalog, "other", [Jpeg(specs[3])])).EnsureSuccessStatusCode();

        var body = await (await Http.SearchByImageAsync(catalog, Jpeg(specs[1]), "k=5")).ReadSearchAsync();

        Assert.Equal(["outfit", "other"], body.Results.Select(r => r.ProductId));
        Assert.Equal(1, body.Results[0].ImageIndex);
    }

    [Fact]
    public async Task Search_GivesIdenticalAnswers_OnOneShardAndOnFour()
    {
        await Http.CreateCatalogAsync("one-shard", new { shards = 1 });
        await Http.CreateCatalogAsync("four-shards", new { shards = 4 });
        var products = GarmentCatalog.Generate(12, seed: 99);
        foreach (var (id, spec) in products)
        {
            var image = Jpeg(spec);
            (await Http.PutProductAsync("one-shard", id, [image], spec.Category)).EnsureSuccessStatusCode();
            (await Http.PutProductAsync("four-shards", id, [image], spec.Category)).EnsureSuccessStatusCode();
        }

        var random = new Random(4);
        for (var q = 0; q < 20; q++)
        {
            var vector = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var k = 1 + (q % 12);
            var category = q % 3 == 0 ? products[q % products.Count].Spec.Category : null;
            var one = await (await Http.SearchByVectorAsync("one-shard", vector, k, category)).ReadSearchAsync();
            var four = await (await Http.SearchByVectorAsync("four-shards", vector, k, category)).ReadSearchAsync();

            Assert.Equal(one.Results.Select(r => (r.ProductId, r.Score)), four.Results.Select(r => (r.ProductId, r.Score)));
        }
    }

    [Theory]
    [InlineData("l1")]
    [InlineData("l2")]
    [InlineData("cosine")]
    public async Task WhiteBoxCatalog_FindsProductAtRankOne_WithItsOwnImage(string metric)
    {
        var catalog = $"whitebox-{metric}";
        var created = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", metric, shards = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var products = GarmentCatalog.Generate(8, seed: 31);
        foreach (var (id, spec) in products)
        {
            (await Http.PutProductAsync(catalog, id, [Jpeg(spec)], spec.Category)).EnsureSuccessStatusCode();
        }

        var definition = await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json);
        Assert.Equal(("whitebox", 1860, 8L), (definition!.Model, definition.Dimension, definition.Products));
        foreach (var (id, spec) in products)
        {
            var body = await (await Http.SearchByImageAsync(catalog, Jpeg(spec), "k=3")).ReadSearchAsync();
            Assert.Equal(id, body.Results[0].ProductId);
        }
    }
}
