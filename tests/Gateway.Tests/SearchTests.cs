using System.Net;
using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

public sealed class SearchTests(LoadedCatalogFixture fixture) : IClassFixture<LoadedCatalogFixture>
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task Search_FindsProductAtRankOne_WhenQueriedWithItsOwnShopImage()
    {
        foreach (var (productId, _) in fixture.Products)
        {
            var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, fixture.ShopImages[productId], "k=5")).ReadSearchAsync();

            Assert.Equal(productId, body.Results[0].ProductId);
            Assert.InRange(body.Results[0].Score, 0.999f, 1.001f);
            Assert.False(body.Partial);
        }
    }

    [Fact]
    public async Task Search_RanksProductInTopFive_ForACroppedRotatedRecolouredView()
    {
        // Crop (≥70% of the garment kept), rotation (±15°) and colour shift; no clutter, blur or noise.
        var transforms = ConsumerViewOptions.Default with { ClutterShapes = 0, BlurProbability = 0, MaxNoise = 0 };
        var misses = new List<string>();
        foreach (var (productId, spec) in fixture.Products)
        {
            using var shop = GarmentImages.Draw(spec);
            using var street = GarmentImages.ConsumerView(shop, seed: int.Parse(productId[1..]), transforms);
            var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, GarmentImages.Encode(street, SKEncodedImageFormat.Jpeg), "k=5")).ReadSearchAsync();

            if (!body.Results.Any(hit => hit.ProductId == productId))
            {
                misses.Add($"{productId} ({spec.Kind} {spec.Pattern}) → {string.Join(", ", body.Results.Select(r => $"{r.ProductId}:{r.Score:F3}"))}");
            }
        }

        Assert.True(misses.Count == 0, "not in the top 5:\n" + string.Join("\n", misses));
    }

    [Fact]
    public async Task Search_ReturnsResultsBestFirstWithCategoryAndMetadata()
    {
        var (productId, spec) = fixture.Products[3];
        var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, fixture.ShopImages[productId], "k=10")).ReadSearchAsync();

        Assert.Equal(10, body.Results.Count);
        Assert.Equal(body.Results.OrderByDescending(r => r.Score).Select(r => r.ProductId), body.Results.Select(r => r.ProductId));
        Assert.Equal(body.Results.Count, body.Results.Select(r => r.ProductId).Distinct().Count());
        var top = body.Results[0];
        Assert.Equal(spec.Category, top.Category);
        Assert.Equal(spec.Colour.ToString(), top.Metadata!.Value.GetProperty("colour").GetString());
        Assert.Equal(0, top.ImageIndex);
    }

    [Fact]
    public async Task Search_ReturnsOnlyThatCategory_WhenFiltered()
    {
        var category = fixture.Products[0].Spec.Category;
        var expected = fixture.Products.Count(p => p.Spec.Category == category);
        var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, fixture.ShopImages[fixture.Products[1].ProductId], $"k=50&category={category}")).ReadSearchAsync();

        Assert.Equal(expected, body.Results.Count);
        Assert.All(body.Results, hit => Assert.Equal(category, hit.Category));
    }

    [Fact]
    public async Task SearchByVector_GivesTheSameAnswerAsSearchByImage()
    {
        var image = fixture.ShopImages[fixture.Products[5].ProductId];
        var byImage = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, image, "k=8&localise=none")).ReadSearchAsync();

        // The vector of the top hit's own image is the query's vector (same bytes, same model; one vector of the whole photo).
        var query = await EmbedThroughSingleProductCatalogAsync(image);
        var byVector = await (await Http.SearchByVectorAsync(LoadedCatalogFixture.Catalog, query, 8)).ReadSearchAsync();

        Assert.Equal(byImage.Results.Select(r => r.ProductId), byVector.Results.Select(r => r.ProductId));
        Assert.Equal(byImage.Results.Select(r => r.Score), byVector.Results.Select(r => r.Score), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public async Task StoredImage_IsReturnedByteForByte()
    {
        var productId = fixture.Products[2].ProductId;
        var response = await Http.GetAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/products/{productId}/images/0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(fixture.ShopImages[productId], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetCatalog_CountsEveryProductAndImage()
    {
        var catalog = await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{LoadedCatalogFixture.Catalog}", Api.Json);

        Assert.Equal(new CatalogBody(LoadedCatalogFixture.Catalog, "resnet18-rmac-street", "cosine", 512, 4, LoadedCatalogFixture.ProductCount, LoadedCatalogFixture.ProductCount), catalog);
    }

    /// <summary>
    /// Reads an image's vector through the public API alone: in a one-product dot-metric catalog,
    /// searching with the i-th unit vector scores dot(stored, e_i) = stored[i].
    /// </summary>
    private async Task<float[]> EmbedThroughSingleProductCatalogAsync(byte[] image)
    {
        const string catalog = "vector-probe";
        await Http.CreateCatalogAsync(catalog, new { metric = "dot", shards = 1 });
        (await Http.PutProductAsync(catalog, "probe", [image])).EnsureSuccessStatusCode();
        var vector = new float[512];
        for (var i = 0; i < vector.Length; i++)
        {
            var basis = new float[512];
            basis[i] = 1;
            var body = await (await Http.SearchByVectorAsync(catalog, basis, 1)).ReadSearchAsync();
            vector[i] = body.Results[0].Score;
        }

        return vector;
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
