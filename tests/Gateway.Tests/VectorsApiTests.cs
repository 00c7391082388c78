using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary><c>GET /v1/catalogs/{catalog}/vectors</c>: a bounded sample of products with one vector each.</summary>
public sealed class VectorsApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task Vectors_ReturnsEveryProductOnceWithItsCategoryAndAVectorOfTheCatalogsDimension()
    {
        var products = await LoadAsync("vectors-all", count: 6);
        var catalog = (await Http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/vectors-all", Api.Json))!;

        var body = (await Http.GetFromJsonAsync<VectorsBody>("/v1/catalogs/vectors-all/vectors", Api.Json))!;

        Assert.Equal(catalog.Dimension, body.Dimension);
        Assert.Equal(products.Keys.Order(StringComparer.Ordinal), body.Products.Select(p => p.ProductId).Order(StringComparer.Ordinal));
        Assert.All(body.Products, p =>
        {
            Assert.Equal(catalog.Dimension, p.Vector.Length);
            Assert.Equal(products[p.ProductId], p.Category);
            Assert.Contains(p.Vector, v => v != 0);
        });
    }

    [Fact]
    public async Task Vectors_ReturnsAtMostMaxProducts_SpreadOverTheCatalog()
    {
        var products = await LoadAsync("vectors-max", count: 8);

        var body = (await Http.GetFromJsonAsync<VectorsBody>("/v1/catalogs/vectors-max/vectors?max=3", Api.Json))!;

        Assert.Equal(3, body.Products.Count);
        Assert.Equal(3, body.Products.Select(p => p.ProductId).Distinct().Count());
        Assert.All(body.Products, p => Assert.Contains(p.ProductId, products.Keys));
    }

    [Theory]
    [InlineData("/v1/catalogs/vectors-bad/vectors?max=0", 400)]
    [InlineData("/v1/catalogs/vectors-bad/vectors?max=10001", 400)]
    [InlineData("/v1/catalogs/vectors-bad/vectors?max=many", 400)]
    [InlineData("/v1/catalogs/Not%20A%20Name/vectors", 400)]
    [InlineData("/v1/catalogs/vectors-none/vectors", 404)]
    public async Task Vectors_AnswersProblemDetails_ForBadInput(string path, int status)
    {
        Assert.True((await Http.CreateCatalogAsync("vectors-bad")).IsSuccessStatusCode);

        var detail = await (await Http.GetAsync(path)).AssertProblemAsync(status);

        Assert.False(string.IsNullOrWhiteSpace(detail));
    }

    private async Task<Dictionary<string, string>> LoadAsync(string catalog, int count)
    {
        Assert.True((await Http.CreateCatalogAsync(catalog, new { shards = 3 })).IsSuccessStatusCode);
        var categories = new Dictionary<string, string>();
        foreach (var (productId, spec) in GarmentCatalog.Generate(count, seed: 21))
        {
            using var image = GarmentImages.Draw(spec, 128, 128);
            var response = await Http.PutProductAsync(catalog, productId, [GarmentImages.Encode(image, SKEncodedImageFormat.Jpeg)], spec.Category);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            categories[productId] = spec.Category;
        }

        return categories;
    }
}

internal sealed record VectorsBody(string Catalog, string Model, string Metric, int Dimension, List<VectorBody> Products);

internal sealed record VectorBody(string ProductId, string? Category, float[] Vector);
