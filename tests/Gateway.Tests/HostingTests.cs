using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task Gateway_ServesHealthOpenApiAndPage()
    {
        await using var factory = new GatewayFactory();
        using var http = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        using var openApi = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = openApi.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/catalogs/{catalog}/search", out _));
        Assert.True(paths.TryGetProperty("/v1/catalogs/{catalog}/products/{productId}", out _));
        var page = await http.GetStringAsync("/");
        Assert.Contains("<form id=\"search\"", page);
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Fact]
    public async Task Gateway_KeepsCatalogsProductsAndImages_AcrossARestart()
    {
        var storage = Directory.CreateTempSubdirectory("outfit-restart-").FullName;
        var products = GarmentCatalog.Generate(5, seed: 12);
        var images = products.ToDictionary(p => p.ProductId, p =>
        {
            using var bitmap = GarmentImages.Draw(p.Spec);
            return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Png);
        });

        await using (var before = new GatewayFactory(storage))
        {
            using var http = before.CreateClient();
            (await http.CreateCatalogAsync("durable", new { shards = 3 })).EnsureSuccessStatusCode();
            foreach (var (id, spec) in products)
            {
                (await http.PutProductAsync("durable", id, [images[id]], spec.Category, contentType: "image/png")).EnsureSuccessStatusCode();
            }

            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/v1/catalogs/durable/products/{products[0].ProductId}")).StatusCode);
        }

        await using var after = new GatewayFactory(storage);
        using var restarted = after.CreateClient();
        var catalog = await restarted.GetFromJsonAsync<CatalogBody>("/v1/catalogs/durable", Api.Json);
        Assert.Equal((3, 4L, 4L), (catalog!.Shards, catalog.Products, catalog.Images));
        foreach (var (id, _) in products.Skip(1))
        {
            var body = await (await restarted.SearchByImageAsync("durable", images[id], "k=1")).ReadSearchAsync();
            Assert.Equal(id, body.Results[0].ProductId);
            Assert.Equal(images[id], await restarted.GetByteArrayAsync($"/v1/catalogs/durable/products/{id}/images/0"));
        }

        var deleted = await (await restarted.SearchByImageAsync("durable", images[products[0].ProductId], "k=10")).ReadSearchAsync();
        Assert.DoesNotContain(deleted.Results, hit => hit.ProductId == products[0].ProductId);
        Directory.Delete(storage, recursive: true);
    }

    [Theory]
    [InlineData("Gateway:SearchTimeout", "00:00:00", "Gateway:SearchTimeout is 00:00:00; it must be positive (for example 00:00:05).")]
    [InlineData("Gateway:MaxRequestBytes", "0", "Gateway:MaxRequestBytes is 0; it must be a positive number of bytes.")]
    [InlineData("Gateway:MaxImagesPerProduct", "0", "Gateway:MaxImagesPerProduct is 0; it must be at least 1.")]
    [InlineData("Gateway:MaxK", "-1", "Gateway:MaxK is -1; it must be at least 1.")]
    [InlineData("Gateway:MaxShards", "0", "Gateway:MaxShards is 0; it must be at least 1.")]
    [InlineData("Images:MaxPixels", "0", "Images:MaxPixels is 0; it must be at least 1 pixel.")]
    [InlineData("Cluster:Mode", "Remote", "Cluster:Mode is 'Remote'; use Embedded or Client.")]
    [InlineData("Cluster:Provider", "Consul", "Cluster:Provider is 'Consul'; use Localhost, Redis, AzureStorage or Kubernetes.")]
    [InlineData("Cluster:SiloPort", "0", "Cluster:SiloPort is 0; it must be between 1 and 65535.")]
    [InlineData("Extraction:Gpu", "maybe", "Extraction:Gpu is 'maybe'; use auto, true or false.")]
    [InlineData("Extraction:Onnx:ExecutionProvider", "Gpu", "Extraction:Onnx:ExecutionProvider is 'Gpu'; use Auto, Cuda or Cpu.")]
    public void Gateway_RefusesToStart_WithTheSettingNamed_WhenASettingIsInvalid(string setting, string value, string sentence)
    {
        using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { [setting] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(sentence, error.ToString());
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Theory]
    [InlineData("Cluster:Provider", "Consul", "Cluster:Provider is 'Consul'; use Localhost, Redis, AzureStorage or Kubernetes.")]
    [InlineData("Cluster:GatewayPort", "70000", "Cluster:GatewayPort is 70000; it must be between 1 and 65535.")]
    [InlineData("Cluster:Provider", "Redis", "Cluster:Redis:ConnectionString is empty; the Redis provider needs the Redis server's address, such as redis.internal:6379.")]
    [InlineData("Cluster:Provider", "AzureStorage", "Cluster:AzureStorage:ConnectionString is empty; the AzureStorage provider needs the storage account's connection string.")]
    [InlineData("Cluster:Provider", "Kubernetes", "Cluster:Kubernetes:Membership is ''; use Redis or AzureStorage: Kubernetes hosting does not keep membership itself.")]
    [InlineData("Gateway:MaxK", "0", "Gateway:MaxK is 0; it must be at least 1.")]
    public void Gateway_RefusesToStart_InClientMode_WhenASettingIsInvalid(string setting, string value, string sentence)
    {
        using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { ["Cluster:Mode"] = "Client", [setting] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(sentence, error.ToString());
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Fact]
    public async Task Gateway_LogsOrleansAndAspNetCoreAtWarning_LikeTheSilo()
    {
        await using var factory = new GatewayFactory();
        using var http = factory.CreateClient();

        var configuration = factory.Services.GetRequiredService<IConfiguration>();

        Assert.Equal(("Information", "Warning", "Warning", "Warning"), (configuration["Logging:LogLevel:Default"],
            configuration["Logging:LogLevel:Microsoft.AspNetCore"], configuration["Logging:LogLevel:Orleans"], configuration["Logging:LogLevel:Polly"]));
        Directory.Delete(factory.StorageRoot, recursive: true);
    }
}
