using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// One gateway with a catalog of generated garments, shared by the read-only tests of a class.
/// Tests that write use catalogs of their own so that no test counts another's rows.
/// </summary>
public sealed class LoadedCatalogFixture : IAsyncLifetime
{
    public const string Catalog = "garments";
    public const int ProductCount = 16;

    public GatewayFactory Factory { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public IReadOnlyList<(string ProductId, GarmentSpec Spec)> Products { get; } = GarmentCatalog.Generate(ProductCount, seed: 7);
    public Dictionary<string, byte[]> ShopImages { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Http = Factory.CreateClient();
        (await Http.CreateCatalogAsync(Catalog, new { shards = 4 })).EnsureSuccessStatusCode();
        foreach (var (productId, spec) in Products)
        {
            using var shop = GarmentImages.Draw(spec);
            var bytes = GarmentImages.Encode(shop, SKEncodedImageFormat.Jpeg);
            ShopImages[productId] = bytes;
            var metadata = $$"""{"price": {{10 + ShopImages.Count}}.5, "colour": "{{spec.Colour}}"}""";
            var response = await Http.PutProductAsync(Catalog, productId, [bytes], spec.Category, metadata);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        Directory.Delete(Factory.StorageRoot, recursive: true);
    }
}
