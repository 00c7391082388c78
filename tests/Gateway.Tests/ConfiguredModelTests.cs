using System.Net;
using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// A model brought by configuration (<c>Models:NAME</c>) serves catalogs like a built-in one: the
/// shipped ResNet18 file stands in for a customer's export under another name.
/// </summary>
public sealed class ConfiguredModelTests
{
    private static Dictionary<string, string?> MyResNet(string name = "my-resnet") => new()
    {
        [$"Models:{name}:File"] = Path.Combine("Models", "ResNet18Onnx", "ResNet18.onnx"),
        [$"Models:{name}:InputName"] = "Input247",
        [$"Models:{name}:OutputName"] = "Pooling395_Output_0",
        [$"Models:{name}:Resize"] = "CenterCrop",
        [$"Models:{name}:Scale"] = "1",
        [$"Models:{name}:Mean:0"] = "103.06",
        [$"Models:{name}:Mean:1"] = "115.90",
        [$"Models:{name}:Mean:2"] = "123.15",
        [$"Models:{name}:ChannelOrder"] = "BGR",
        [$"Models:{name}:Layout"] = "NCHW",
        [$"Models:{name}:Pooling"] = "Mean",
        ["Extraction:Onnx:ExecutionProvider"] = "Cpu",
    };

    [Fact]
    public async Task Search_FindsEachProductAtRankOne_InACatalogOfAConfiguredModel()
    {
        await using var factory = new GatewayFactory(overrides: MyResNet());
        using var http = factory.CreateClient();
        var products = GarmentCatalog.Generate(6, seed: 21);
        var images = products.ToDictionary(p => p.ProductId, p =>
        {
            using var bitmap = GarmentImages.Draw(p.Spec);
            return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
        });

        Assert.Equal(HttpStatusCode.Created, (await http.CreateCatalogAsync("custom", new { model = "my-resnet", shards = 2 })).StatusCode);
        foreach (var (productId, spec) in products)
        {
            var put = await http.PutProductAsync("custom", productId, [images[productId]], spec.Category);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var catalog = await http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/custom", Api.Json);
        Assert.Equal(("my-resnet", 512, 6L), (catalog!.Model, catalog.Dimension, catalog.Products));
        foreach (var (productId, _) in products)
        {
            var search = await (await http.SearchByImageAsync("custom", images[productId], "k=3")).ReadSearchAsync();
            Assert.Equal(productId, search.Results[0].ProductId);
            Assert.Equal(1.0, search.Results[0].Score, 3);
        }

        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Fact]
    public async Task Gateway_FailsToStartWithTheSettingNamed_WhenAConfiguredModelReusesABuiltInName()
    {
        await using var factory = new GatewayFactory(overrides: MyResNet("resnet18"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Models:resnet18 collides with the built-in model 'resnet18'", error.ToString());
        Directory.Delete(factory.StorageRoot, recursive: true);
    }
}
