using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary><c>localise=none|fast|thorough</c> on photo search, and a catalog's default.</summary>
public sealed class LocaliseTests(LoadedCatalogFixture fixture) : IClassFixture<LoadedCatalogFixture>
{
    private HttpClient Http => fixture.Http;

    /// <summary>Product <paramref name="index"/>'s shop image, shrunk to 170 px in the top-left corner of a 400 px photo of noise.</summary>
    private byte[] SmallGarmentInClutter(int index)
    {
        using var photo = new SKBitmap(400, 400);
        using (var canvas = new SKCanvas(photo))
        {
            using var noise = SKBitmap.Decode(NoiseBitmaps.Bmp(seed: 31, side: 40));
            canvas.DrawBitmap(noise, SKRect.Create(400, 400));
            using var garment = GarmentImages.Draw(fixture.Products[index].Spec);
            canvas.DrawBitmap(garment, SKRect.Create(5, 5, 170, 170));
        }

        return GarmentImages.Encode(photo, SKEncodedImageFormat.Jpeg);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Search_Thorough_FindsASmallGarmentInAClutteredPhoto(int product)
    {
        var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, SmallGarmentInClutter(product), "k=5&localise=thorough")).ReadSearchAsync();

        Assert.Equal(fixture.Products[product].ProductId, body.Results[0].ProductId);
        Assert.Equal(body.Results.Count, body.Results.Select(r => r.ProductId).Distinct().Count());
    }

    [Fact]
    public async Task Search_AcceptsLocaliseAsAFormFieldAndInJson()
    {
        var photo = SmallGarmentInClutter(5);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(photo), "image", "photo.jpg" },
            { new StringContent("thorough"), "localise" },
        };

        var byForm = await (await Http.PostAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search?k=3", form)).ReadSearchAsync();
        var byJson = await (await Http.PostAsJsonAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search",
            new { image = Convert.ToBase64String(photo), localise = "thorough", k = 3 })).ReadSearchAsync();

        Assert.Equal(fixture.Products[5].ProductId, byForm.Results[0].ProductId);
        Assert.Equal(byForm.Results.Select(r => r.ProductId), byJson.Results.Select(r => r.ProductId));
    }

    [Fact]
    public async Task Search_WithABox_LocalisesInsideTheBoxOnly()
    {
        // The box holds only the right half, a plain white area with a garment: the small garment on the left is out of reach.
        using var photo = new SKBitmap(512, 256);
        using (var canvas = new SKCanvas(photo))
        {
            canvas.Clear(SKColors.White);
            using var left = GarmentImages.Draw(fixture.Products[1].Spec);
            using var right = GarmentImages.Draw(fixture.Products[6].Spec);
            canvas.DrawBitmap(left, SKRect.Create(0, 0, 256, 256));
            canvas.DrawBitmap(right, SKRect.Create(256, 0, 256, 256));
        }

        var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, GarmentImages.Encode(photo, SKEncodedImageFormat.Jpeg),
            "k=3&box=256,0,256,256&localise=thorough")).ReadSearchAsync();

        Assert.Equal(fixture.Products[6].ProductId, body.Results[0].ProductId);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("THOROUGHLY")]
    [InlineData("1")]
    public async Task Search_Returns400NamingTheAcceptedValues_ForAnUnknownLocalise(string localise)
    {
        var response = await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, SmallGarmentInClutter(0), $"localise={localise}");

        Assert.Contains("none, fast, thorough", await response.AssertProblemAsync(400));
    }

    [Fact]
    public async Task Search_Returns400_WhenLocaliseComesWithAVector()
    {
        var response = await Http.PostAsJsonAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search",
            new { vector = new float[512], localise = "fast" });

        Assert.Contains("localise", await response.AssertProblemAsync(400));
    }

    [Fact]
    public async Task CreateCatalog_StoresTheDefaultLocalisation_AndRejectsAnUnknownOne()
    {
        var plain = await Http.CreateCatalogAsync("localise-default", new { shards = 1 });
        var chosen = await Http.CreateCatalogAsync("localise-none", new { shards = 1, localise = "none" });
        var bad = await Http.CreateCatalogAsync("localise-bad", new { shards = 1, localise = "everywhere" });

        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        Assert.Equal("thorough", (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("localise").GetString());
        Assert.Equal("none", (await chosen.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("localise").GetString());
        Assert.Contains("none, fast, thorough", await bad.AssertProblemAsync(400));
    }
}
