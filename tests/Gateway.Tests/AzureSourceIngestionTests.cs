using System.Net.Http.Json;
using OutfitFinder.Core.Tests.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>An ingestion from an Azure Blob container source, against a real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureSourceIngestionTests(AzuriteFixture azurite)
{
    [SkippableFact]
    public async Task Ingestion_FromAnAzureBlobSource_StoresEveryProduct_AndListsAMissingImage()
    {
        azurite.SkipUnlessRunning();
        using var source = new IngestionSourceFolder(8, seed: 5);
        source.WriteCsv("drops/spring.csv", "ghost,images/missing.jpg,Dress,Plain");
        var container = azurite.NewContainerClient();
        await container.CreateAsync();
        foreach (var file in Directory.EnumerateFiles(source.Root, "*", SearchOption.AllDirectories))
        {
            await container.GetBlobClient(Path.GetRelativePath(source.Root, file).Replace('\\', '/')).UploadAsync(file);
        }

        // The manifest sits in drops/, its images at the root: a leading '/' names them from the root.
        var manifest = File.ReadAllText(Path.Combine(source.Root, "drops", "spring.csv")).Replace(",images/", ",/images/", StringComparison.Ordinal);
        await container.GetBlobClient("drops/spring.csv").UploadAsync(BinaryData.FromString(manifest), overwrite: true);
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?>
        {
            ["Ingestion:Sources:bucket:Kind"] = "AzureBlob",
            ["Ingestion:Sources:bucket:ConnectionString"] = azurite.ConnectionString,
            ["Ingestion:Sources:bucket:Container"] = container.Name,
        });
        using var http = factory.CreateClient();
        (await http.CreateCatalogAsync("azure", new { model = "whitebox", shards = 2 })).EnsureSuccessStatusCode();

        var started = await http.PostAsJsonAsync("/v1/catalogs/azure/ingestions", new { source = "bucket", manifest = "drops/spring.csv", id = "spring" });
        started.EnsureSuccessStatusCode();
        StatusBody status;
        do
        {
            await Task.Delay(100);
            status = (await http.GetFromJsonAsync<StatusBody>("/v1/catalogs/azure/ingestions/spring", Api.Json))!;
        }
        while (status.State == "running");

        Assert.Equal(("completedWithErrors", 8L, 1L), (status.State, status.Succeeded, status.Failed));
        Assert.Equal("images/missing.jpg", status.Failures.Single().Image);
        var catalog = await http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/azure", Api.Json);
        Assert.Equal(8, catalog!.Products);
        var (productId, _) = source.Products[4];
        var hits = await (await http.SearchByImageAsync("azure", source.Images[productId], "k=1")).ReadSearchAsync();
        Assert.Equal(productId, hits.Results.Single().ProductId);
    }
}
