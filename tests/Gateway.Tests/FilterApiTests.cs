using System.Net;
using System.Net.Http.Json;
using System.Net.Http.Headers;
using System.Text.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// Metadata filters through the API, on catalogs of vectors made elsewhere (model <c>none</c>): each operator, nesting,
/// the query-string form, bad filters answered 400 naming what is wrong, and fields declared after products exist.
/// </summary>
public sealed class FilterApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const int Dimension = 4;

    private HttpClient Http => fixture.Http;

    /// <summary>Twelve products: p{i} with price i·10, brand acme/zen/orbit in turn, category "tops" for even i.</summary>
    private static readonly (string Id, double Price, string Brand, string? Category)[] Products =
        [.. Enumerable.Range(0, 12).Select(i => ($"p{i}", i * 10.0, new[] { "acme", "zen", "orbit" }[i % 3], i % 2 == 0 ? "tops" : null))];

    private static readonly float[] Query = [1, 0.5f, 0.25f, 0];

    private async Task LoadAsync(string catalog, object? fields)
    {
        var created = await Http.CreateCatalogAsync(catalog, new { model = "none", dimension = Dimension, metric = "cosine", shards = 2, fields });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        for (var i = 0; i < Products.Length; i++)
        {
            var (id, price, brand, category) = Products[i];
            var put = await Http.PutAsJsonAsync($"/v1/catalogs/{catalog}/products/{id}",
                new { vectors = new[] { new[] { 1f, i, 0.5f, -i }, new[] { 0f, 1, i, 1 } }, category, metadata = new { price, brand } });
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }

    private async Task<string[]> SearchAsync(string catalog, object filter, string? category = null)
    {
        var response = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector = Query, k = 100, category, filter });
        return [.. (await response.ReadSearchAsync()).Results.Select(hit => hit.ProductId).Order(StringComparer.Ordinal)];
    }

    private static string[] Expected(Func<(string Id, double Price, string Brand, string? Category), bool> passes) =>
        [.. Products.Where(passes).Select(p => p.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Search_AppliesEachOperatorAndNesting_InTheJsonBody()
    {
        const string catalog = "filter-ops";
        await LoadAsync(catalog, new { price = "number", brand = "string" });

        Assert.Equal(Expected(p => p.Brand == "zen"), await SearchAsync(catalog, new { brand = "zen" }));
        Assert.Equal(Expected(p => p.Price == 30), await SearchAsync(catalog, new { price = new { eq = 30 } }));
        Assert.Equal(Expected(p => p.Brand is "zen" or "orbit"), await SearchAsync(catalog, new { brand = new { @in = new[] { "zen", "orbit" } } }));
        Assert.Equal(Expected(p => p.Price < 50), await SearchAsync(catalog, new { price = new { lt = 50 } }));
        Assert.Equal(Expected(p => p.Price <= 50), await SearchAsync(catalog, new { price = new { lte = 50 } }));
        Assert.Equal(Expected(p => p.Price > 50), await SearchAsync(catalog, new { price = new { gt = 50 } }));
        Assert.Equal(Expected(p => p.Price >= 50), await SearchAsync(catalog, new { price = new { gte = 50 } }));
        Assert.Equal(Expected(p => p.Price < 50 && p.Brand is "acme" or "zen" && p.Price < 50),
            await SearchAsync(catalog, JsonDocument.Parse("""{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}""").RootElement));
        Assert.Equal(Expected(p => p.Price < 20 || (p.Brand == "orbit" && p.Price > 60)),
            await SearchAsync(catalog, JsonDocument.Parse("""{"or":[{"price":{"lt":20}},{"and":[{"brand":"orbit"},{"price":{"gt":60}}]}]}""").RootElement));
        Assert.Equal(Expected(p => p.Category == "tops" && p.Brand == "acme"), await SearchAsync(catalog, new { brand = "acme" }, category: "tops"));
    }

    [Fact]
    public async Task Search_AcceptsTheFilterAsJsonText_InTheQueryString()
    {
        const string catalog = "filter-query";
        await LoadAsync(catalog, new { price = "number", brand = "string" });
        var filter = Uri.EscapeDataString("""{"and":[{"price":{"gte":20,"lt":80}},{"brand":"acme"}]}""");

        var response = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search?filter={filter}", new { vector = Query, k = 100 });

        var found = (await response.ReadSearchAsync()).Results.Select(hit => hit.ProductId).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Expected(p => p.Price is >= 20 and < 80 && p.Brand == "acme"), found);
    }

    [Theory]
    [InlineData("""{"colour":"red"}""", "'colour' is not declared")]
    [InlineData("""{"price":"cheap"}""", "'price' is declared number")]
    [InlineData("""{"brand":{"lt":5}}""", "'lt' needs a number field")]
    [InlineData("""{"price":{"about":5}}""", "Unknown operator 'about'")]
    [InlineData("""{"or":[]}""", "'or' takes a non-empty array")]
    [InlineData("""{"brand":{"in":"acme"}}""", "'in' on field 'brand'")]
    public async Task Search_Returns400NamingTheProblem_ForBadFilters(string filter, string named)
    {
        const string catalog = "filter-bad";
        await Http.CreateCatalogAsync(catalog, new { model = "none", dimension = Dimension, fields = new { price = "number", brand = "string" } });

        var body = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search",
            new { vector = Query, filter = JsonDocument.Parse(filter).RootElement });
        var query = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search?filter={Uri.EscapeDataString(filter)}", new { vector = Query });

        Assert.Contains(named, await body.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Contains(named, await query.AssertProblemAsync(400), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_AcceptsTheFilterAsAFormField_BesideAPhoto()
    {
        const string catalog = "filter-form";
        await Http.CreateCatalogAsync(catalog, new { shards = 2, fields = new { price = "number" } });
        var products = GarmentCatalog.Generate(6, seed: 33);
        for (var i = 0; i < products.Count; i++)
        {
            var (id, spec) = products[i];
            (await Http.PutProductAsync(catalog, id, [Jpeg(spec)], spec.Category, $"{{\"price\":{i * 10}}}")).EnsureSuccessStatusCode();
        }

        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(Jpeg(products[0].Spec));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(image, "image", "query.jpg");
        form.Add(new StringContent("""{"price":{"gte":30}}"""), "filter");

        var body = await (await Http.PostAsync($"/v1/catalogs/{catalog}/search?k=10", form)).ReadSearchAsync();

        // The query photo is product 0's own (price 0): the filter, not the photo, decides who is left.
        Assert.Equal(products.Skip(3).Select(p => p.ProductId).Order(StringComparer.Ordinal), body.Results.Select(hit => hit.ProductId).Order(StringComparer.Ordinal));
    }

    private static byte[] Jpeg(GarmentSpec spec)
    {
        using var bitmap = GarmentImages.Draw(spec);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task CreateCatalog_AddsFieldsLater_IndexingProductsAlreadyHeld_AndKeepsDeclaredTypes()
    {
        const string catalog = "filter-later";
        await LoadAsync(catalog, new { price = "number" });
        var before = await Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector = Query, filter = new { brand = "zen" } });
        Assert.Contains("'brand' is not declared", await before.AssertProblemAsync(400), StringComparison.Ordinal);

        var added = await Http.CreateCatalogAsync(catalog, new { model = "none", dimension = Dimension, metric = "cosine", shards = 2, fields = new { brand = "string" } });
        var retyped = await Http.CreateCatalogAsync(catalog, new { model = "none", dimension = Dimension, metric = "cosine", shards = 2, fields = new { price = "string" } });
        var badType = await Http.CreateCatalogAsync("filter-badtype", new { model = "none", dimension = Dimension, fields = new { price = "money" } });

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var catalogBody = await added.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("string", catalogBody.GetProperty("fields").GetProperty("brand").GetString());
        Assert.Equal("number", catalogBody.GetProperty("fields").GetProperty("price").GetString());
        Assert.Equal(Expected(p => p.Brand == "zen" && p.Price > 30), await SearchAsync(catalog, JsonDocument.Parse("""{"brand":"zen","price":{"gt":30}}""").RootElement));
        Assert.Contains("'price'", await retyped.AssertProblemAsync(409), StringComparison.Ordinal);
        Assert.Contains("'money'", await badType.AssertProblemAsync(400), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VectorsOnlyCatalog_TakesProductsAsVectors_AndRefusesPhotosAndWrongDimensions()
    {
        const string catalog = "vectors-only";
        var noDimension = await Http.CreateCatalogAsync("vectors-nodim", new { model = "none" });
        Assert.Contains("dimension", await noDimension.AssertProblemAsync(400), StringComparison.Ordinal);
        await LoadAsync(catalog, fields: null);

        var wrongDimension = await Http.PutAsJsonAsync($"/v1/catalogs/{catalog}/products/bad", new { vectors = new[] { new[] { 1f, 2f } } });
        var noVectors = await Http.PutAsJsonAsync($"/v1/catalogs/{catalog}/products/bad", new { category = "tops" });
        var photo = await Http.SearchByImageAsync(catalog, [0xFF, 0xD8, 0xFF]);
        var product = await Http.GetFromJsonAsync<ProductBody>($"/v1/catalogs/{catalog}/products/p3", Api.Json);
        var search = await (await Http.SearchByVectorAsync(catalog, [1, 3, 0.5f, -3], k: 1)).ReadSearchAsync();

        Assert.Contains("dimension 4", await wrongDimension.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Contains("'vectors'", await noVectors.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Contains("vectors only", await photo.AssertProblemAsync(400), StringComparison.Ordinal);
        Assert.Equal(2, product!.Images);
        Assert.Equal(30, product.Metadata!.Value.GetProperty("price").GetDouble());
        Assert.Equal(("p3", 0), (search.Results[0].ProductId, search.Results[0].ImageIndex));
    }
}
