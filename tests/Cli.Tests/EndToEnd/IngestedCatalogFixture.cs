using System.Globalization;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary>
/// A real gateway, a folder of drawn garment JPEGs with a manifest, and the result of
/// <c>outfit catalog create</c> then <c>outfit ingest</c> over them. Tests of the class only read.
/// </summary>
/// <remarks>
/// The manifest has four good products, one of them with two images, and a fifth product whose only
/// row names a file that does not exist. Five images in all: the model takes ~25 ms an image on CPU.
/// </remarks>
public sealed class IngestedCatalogFixture : IAsyncLifetime
{
    public const string Catalog = "e2e-shop";

    /// <summary>The product with two images; '/' and a space check the id's trip through the URL.</summary>
    public const string TwoImageProduct = "dress/001 red";

    /// <summary>The bad row's product: its image file is missing.</summary>
    public const string MissingImageProduct = "coat-900";

    /// <summary>Good products, in manifest order, with their categories.</summary>
    public static readonly IReadOnlyList<string> GoodProducts = [TwoImageProduct, "skirt-017", "top-042", "trousers-108"];

    private readonly GatewayFixture _gateway = new();
    private readonly TempFolder _shop = new();

    /// <summary>What <c>outfit ingest</c> printed and returned.</summary>
    internal CliResult Ingest { get; private set; } = null!;

    /// <summary>Full path of each good product's first (shop) image.</summary>
    public Dictionary<string, string> ShopImages { get; } = new(StringComparer.Ordinal);

    /// <summary>Each good product's category as the manifest gives it.</summary>
    public Dictionary<string, string> Categories { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        await _gateway.InitializeAsync();
        var manifest = WriteShop();
        var created = await _gateway.RunCliAsync("catalog", "create", Catalog);
        Assert.True(created.ExitCode == 0, created.Output);
        Ingest = await _gateway.RunCliAsync("ingest", "--catalog", Catalog, "--manifest", manifest);
    }

    internal Task<CliResult> RunCliAsync(params string[] args) => _gateway.RunCliAsync(args);

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _shop.Dispose();
    }

    /// <summary>Draws the images and writes the manifest; returns the manifest's path.</summary>
    private string WriteShop()
    {
        var specs = GarmentCatalog.Generate(GoodProducts.Count, seed: 2024);
        var lines = new List<string> { "product_id,image,category,price" };
        for (var i = 0; i < GoodProducts.Count; i++)
        {
            var (productId, spec) = (GoodProducts[i], specs[i].Spec);
            var price = (19.9 + (10 * i)).ToString("0.00", CultureInfo.InvariantCulture);
            var file = $"{spec.Category.ToLowerInvariant()}/{i}-shop.jpg";
            using var shop = GarmentImages.Draw(spec);
            ShopImages[productId] = _shop.WriteBytes(file, GarmentImages.Encode(shop, SKEncodedImageFormat.Jpeg));
            Categories[productId] = spec.Category;
            lines.Add($"{productId},{file},{spec.Category},{price}");
            if (productId == TwoImageProduct)
            {
                var worn = $"{spec.Category.ToLowerInvariant()}/{i}-worn.jpg";
                using var street = GarmentImages.ConsumerView(shop, seed: i);
                _shop.WriteBytes(worn, GarmentImages.Encode(street, SKEncodedImageFormat.Jpeg));
                lines.Add($"{productId},{worn},{spec.Category},{price}");
            }
        }

        lines.Add($"{MissingImageProduct},coats/missing.jpg,Coat,120.00");
        return _shop.WriteText("manifest.csv", string.Join('\n', lines) + "\n");
    }
}
