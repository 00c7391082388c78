using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

public sealed class CropBoxTests(LoadedCatalogFixture fixture) : IClassFixture<LoadedCatalogFixture>
{
    private HttpClient Http => fixture.Http;

    /// <summary>Two products' shop images side by side on one 512 × 256 photo: left, right.</summary>
    private byte[] TwoGarmentPhoto(int left, int right)
    {
        using var photo = new SKBitmap(512, 256);
        using (var canvas = new SKCanvas(photo))
        {
            canvas.Clear(SKColors.White);
            using var a = GarmentImages.Draw(fixture.Products[left].Spec);
            using var b = GarmentImages.Draw(fixture.Products[right].Spec);
            canvas.DrawBitmap(a, 0, 0);
            canvas.DrawBitmap(b, 256, 0);
        }

        return GarmentImages.Encode(photo, SKEncodedImageFormat.Jpeg);
    }

    [Theory]
    [InlineData("0,0,256,256", 2)]
    [InlineData("256,0,256,256", 9)]
    public async Task Search_FindsTheBoxedGarment_WhenTheBoxSurroundsOneOfTwo(string box, int expected)
    {
        var photo = TwoGarmentPhoto(2, 9);

        var body = await (await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, photo, $"k=3&box={box}")).ReadSearchAsync();

        Assert.Equal(fixture.Products[expected].ProductId, body.Results[0].ProductId);
    }

    [Fact]
    public async Task Search_AcceptsTheBoxAsAFormFieldAndInJson()
    {
        var photo = TwoGarmentPhoto(4, 11);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(photo), "image", "photo.jpg" },
            { new StringContent("256,0,256,256"), "box" },
        };

        var byForm = await (await Http.PostAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search?k=3", form)).ReadSearchAsync();
        var byJson = await (await Http.PostAsJsonAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search",
            new { image = Convert.ToBase64String(photo), box = "0,0,256,256", k = 3 })).ReadSearchAsync();

        Assert.Equal(fixture.Products[11].ProductId, byForm.Results[0].ProductId);
        Assert.Equal(fixture.Products[4].ProductId, byJson.Results[0].ProductId);
    }

    [Theory]
    [InlineData("1,2,3", "four")]
    [InlineData("a,b,c,d", "four")]
    [InlineData("-5,0,10,10", "four")]
    [InlineData("0,0,0,10", "at least 1")]
    [InlineData("300,0,256,256", "512×256")]
    [InlineData("0,200,100,100", "512×256")]
    public async Task Search_Returns400WithAReason_ForABadBox(string box, string reason)
    {
        var response = await Http.SearchByImageAsync(LoadedCatalogFixture.Catalog, TwoGarmentPhoto(0, 1), $"box={Uri.EscapeDataString(box)}");

        var detail = await response.AssertProblemAsync(400);
        Assert.Contains(reason, detail);
    }

    [Fact]
    public async Task Search_Returns400_WhenABoxComesWithAVector()
    {
        var response = await Http.PostAsJsonAsync($"/v1/catalogs/{LoadedCatalogFixture.Catalog}/search",
            new { vector = new float[512], box = "0,0,10,10" });

        Assert.Contains("box", await response.AssertProblemAsync(400));
    }
}
