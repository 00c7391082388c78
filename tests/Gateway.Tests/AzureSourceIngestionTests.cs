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

    [SkippableFact]
    public async Task Ingestion_FromAnAzureBlobSource_ReadsVectorFileRows_AndFailsARowPastTheFileEnd()
    {
        azurite.SkipUnlessRunning();
        var container = azurite.NewContainerClient();
        await container.CreateAsync();
        // Row r of the .npy points along axis r, so a search by that axis finds its product first.
        var values = new float[5 * 4];
        for (var row = 0; row < 4; row++)
        {
            values[(row * 4) + row] = 1;
        }

        values[16] = values[17] = 1;
        await container.GetBlobClient("vectors/spring.npy").UploadAsync(BinaryData.FromBytes(VectorFiles.Npy([5, 4], values)));
        await container.GetBlobClient("drops/one.f32").UploadAsync(BinaryData.FromBytes(VectorFiles.Raw(0, 0, 1, 1)));
        await container.GetBlobClient("drops/vectors.csv").UploadAsync(BinaryData.FromString(
            "product_id,vector_file,vector_row\np3,/vectors/spring.npy,3\np1,/vectors/spring.npy,1\np4,/vectors/spring.npy,4\nlone,one.f32,\nghost,/vectors/spring.npy,9\n"));
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?>
        {
            ["Ingestion:Sources:bucket:Kind"] = "AzureBlob",
            ["Ingestion:Sources:bucket:ConnectionString"] = azurite.ConnectionString,
            ["Ingestion:Sources:bucket:Container"] = container.Name,
        });
        using var http = factory.CreateClient();
        (await http.CreateCatalogAsync("vectors", new { model = "none", dimension = 4, shards = 2 })).EnsureSuccessStatusCode();

        var started = await http.PostAsJsonAsync("/v1/catalogs/vectors/ingestions", new { source = "bucket", manifest = "drops/vectors.csv", id = "v" });
        started.EnsureSuccessStatusCode();
        StatusBody status;
        do
        {
            await Task.Delay(100);
            status = (await http.GetFromJsonAsync<StatusBody>("/v1/catalogs/vectors/ingestions/v", Api.Json))!;
        }
        while (status.State == "running");

        Assert.Equal(("completedWithErrors", 4L, 1L), (status.State, status.Succeeded, status.Failed));
        Assert.Contains("'vector_row' is 9; vector file 'vectors/spring.npy' holds rows 0 to 4", status.Failures.Single().Reason);
        var byAxis1 = await (await http.SearchByVectorAsync("vectors", [0, 1, 0, 0], 1)).ReadSearchAsync();
        var byAxis3 = await (await http.SearchByVectorAsync("vectors", [0, 0, 0, 1], 1)).ReadSearchAsync();
        var byLone = await (await http.SearchByVectorAsync("vectors", [0, 0, 1, 1], 1)).ReadSearchAsync();
        Assert.Equal(("p1", "p3", "lone"), (byAxis1.Results.Single().ProductId, byAxis3.Results.Single().ProductId, byLone.Results.Single().ProductId));
    }
}
