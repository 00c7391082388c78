using System.Net.Http.Json;
using System.Net.Http.Headers;
using System.Text;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>Every kind of bad input gets a 4xx problem with a reason, and the gateway stays healthy.</summary>
public sealed class BadInputTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string Catalog = "bad-input";
    private HttpClient Http => fixture.Http;
    private static readonly GarmentSpec Dress = GarmentCatalog.Generate(1, seed: 3)[0].Spec;

    public async Task InitializeAsync() => await Http.CreateCatalogAsync(Catalog, new { shards = 2 });

    public async Task DisposeAsync()
    {
        // Whatever the test sent, the cluster still answers.
        var ready = await Http.GetAsync("/health/ready");
        Assert.True(ready.IsSuccessStatusCode, "gateway unhealthy after bad input");
    }

    private static byte[] GoodJpeg()
    {
        using var bitmap = GarmentImages.Draw(Dress);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task Search_Returns404_ForUnknownCatalog() =>
        await (await Http.SearchByImageAsync("no-such-catalog", GoodJpeg())).AssertProblemAsync(404);

    [Fact]
    public async Task PutProduct_Returns404_ForUnknownCatalog() =>
        await (await Http.PutProductAsync("no-such-catalog", "p1", [GoodJpeg()])).AssertProblemAsync(404);

    [Fact]
    public async Task GetCatalog_Returns404_ForUnknownCatalog() =>
        await (await Http.GetAsync("/v1/catalogs/no-such-catalog")).AssertProblemAsync(404);

    [Theory]
    [InlineData("k=0")]
    [InlineData("k=1001")]
    [InlineData("k=-3")]
    public async Task Search_Returns400_ForKOutOfRange(string query)
    {
        var detail = await (await Http.SearchByImageAsync(Catalog, GoodJpeg(), query)).AssertProblemAsync(400);
        Assert.Contains("k", detail);
    }

    [Fact]
    public async Task Search_Returns400_ForKThatIsNotANumber()
    {
        var response = await Http.SearchByImageAsync(Catalog, GoodJpeg(), "k=lots");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("ef=0")]
    [InlineData("ef=-1")]
    [InlineData("ef=4097")]
    public async Task Search_Returns400_ForEfOutOfRange(string query)
    {
        var detail = await (await Http.SearchByImageAsync(Catalog, GoodJpeg(), query)).AssertProblemAsync(400);
        Assert.Contains("ef", detail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_000)]
    public async Task SearchByVector_Returns400_ForEfOutOfRange(int ef)
    {
        var response = await Http.PostAsJsonAsync($"/v1/catalogs/{Catalog}/search", new { vector = new float[512], k = 5, ef });
        var detail = await response.AssertProblemAsync(400);
        Assert.Contains("ef", detail);
    }

    [Fact]
    public async Task Search_Returns400_ForEfThatIsNotANumber()
    {
        var response = await Http.SearchByImageAsync(Catalog, GoodJpeg(), "ef=wide");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Search_Returns415_ForRandomBytesClaimingToBeJpeg()
    {
        var noise = new byte[5000];
        new Random(1).NextBytes(noise);
        await (await Http.SearchByImageAsync(Catalog, noise)).AssertProblemAsync(415);
    }

    [Fact]
    public async Task Search_Returns400_ForTruncatedJpeg()
    {
        var detail = await (await Http.SearchByImageAsync(Catalog, CraftedImages.Truncate(GoodJpeg(), 0.5))).AssertProblemAsync(400);
        Assert.False(string.IsNullOrWhiteSpace(detail));
    }

    [Fact]
    public async Task Search_Returns400_ForEmptyImage() =>
        await (await Http.SearchByImageAsync(Catalog, [])).AssertProblemAsync(400);

    [Fact]
    public async Task Search_Returns413_ForDecompressionBomb()
    {
        var detail = await (await Http.SearchByImageAsync(Catalog, CraftedImages.PngDeclaring(100_000, 100_000))).AssertProblemAsync(413);
        Assert.Contains("pixels", detail);
    }

    [Fact]
    public async Task Search_Returns413_ForImageOverTheByteLimit()
    {
        var huge = new byte[5 * 1024 * 1024];
        GoodJpeg().CopyTo(huge, 0);
        await (await Http.SearchByImageAsync(Catalog, huge)).AssertProblemAsync(413);
    }

    [Fact]
    public async Task Search_Returns415_ForWrongContentType()
    {
        var response = await Http.PostAsync($"/v1/catalogs/{Catalog}/search", new StringContent("a red dress", Encoding.UTF8, "text/plain"));
        await response.AssertProblemAsync(415);
    }

    [Fact]
    public async Task Search_Returns400_ForMultipartWithoutABoundary()
    {
        var body = new ByteArrayContent("--x\r\n"u8.ToArray());
        body.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");

        var detail = await (await Http.PostAsync($"/v1/catalogs/{Catalog}/search", body)).AssertProblemAsync(400);

        Assert.Contains("boundary", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Search_Returns400_ForMultipartWithoutImagePart()
    {
        var form = new MultipartFormDataContent { { new StringContent("x"), "photo" } };
        var detail = await (await Http.PostAsync($"/v1/catalogs/{Catalog}/search", form)).AssertProblemAsync(400);
        Assert.Contains("image", detail);
    }

    [Fact]
    public async Task SearchByVector_Returns400_ForWrongDimension()
    {
        var detail = await (await Http.SearchByVectorAsync(Catalog, new float[3], 5)).AssertProblemAsync(400);
        Assert.Contains("512", detail);
    }

    [Fact]
    public async Task SearchByVector_Returns400_ForMalformedJson()
    {
        var content = new StringContent("{\"vector\": [1, 2,", Encoding.UTF8, "application/json");
        await (await Http.PostAsync($"/v1/catalogs/{Catalog}/search", content)).AssertProblemAsync(400);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"nested\": {\"a\": 1}}")]
    [InlineData("{not json")]
    public async Task PutProduct_Returns400_ForBadMetadata(string metadata) =>
        await (await Http.PutProductAsync(Catalog, "p-meta", [GoodJpeg()], "Dress", metadata)).AssertProblemAsync(400);

    [Fact]
    public async Task PutProduct_Returns415_ForUnsupportedImageFormat()
    {
        var gifLikeText = Encoding.ASCII.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'></svg>");
        await (await Http.PutProductAsync(Catalog, "p-svg", [gifLikeText])).AssertProblemAsync(415);
    }

    [Fact]
    public async Task PutProduct_NamesTheBadImage_WhenOneOfSeveralIsCorrupt()
    {
        var detail = await (await Http.PutProductAsync(Catalog, "p-mixed", [GoodJpeg(), CraftedImages.Truncate(GoodJpeg(), 0.4)])).AssertProblemAsync(400);
        Assert.Contains("Image 1", detail);
        await (await Http.GetAsync($"/v1/catalogs/{Catalog}/products/p-mixed")).AssertProblemAsync(404);
    }

    [Fact]
    public async Task PutProduct_Returns400_ForControlCharactersInProductId() =>
        await (await Http.PutProductAsync(Catalog, "bad\u0001id", [GoodJpeg()])).AssertProblemAsync(400);

    [Theory]
    [InlineData("Upper")]
    [InlineData("_hidden")]
    [InlineData("has space")]
    public async Task CreateCatalog_Returns400_ForInvalidName(string name) =>
        await (await Http.CreateCatalogAsync(Uri.EscapeDataString(name))).AssertProblemAsync(400);

    [Theory]
    [InlineData("{\"shards\": 0}")]
    [InlineData("{\"shards\": 100000}")]
    [InlineData("{\"metric\": \"hamming\"}")]
    [InlineData("{\"model\": \"no-such-model\"}")]
    [InlineData("{\"shards\": \"four\"}")]
    public async Task CreateCatalog_Returns400_ForBadDefinition(string json)
    {
        var response = await Http.PutAsync("/v1/catalogs/bad-definition", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PutProduct_Returns413_WhenBodyExceedsTheRequestLimit()
    {
        await using var small = new GatewayFactory(overrides: new Dictionary<string, string?> { ["Gateway:MaxRequestBytes"] = "100000" });
        using var http = small.CreateClient();
        (await http.CreateCatalogAsync("limits")).EnsureSuccessStatusCode();
        var content = new ByteArrayContent(new byte[300_000]);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var form = new MultipartFormDataContent { { content, "image", "big.jpg" } };

        var response = await http.PutAsync("/v1/catalogs/limits/products/p1", form);

        Assert.Equal(413, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Directory.Delete(small.StorageRoot, recursive: true);
    }
}
