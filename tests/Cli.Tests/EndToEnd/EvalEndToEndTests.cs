using System.Text;
using System.Text.Json;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary><c>outfit eval</c> against the real gateway and model, on a catalog of its own.</summary>
public sealed class EvalEndToEndTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly TempFolder _shop = new();

    public void Dispose() => _shop.Dispose();

    [Fact]
    public async Task Eval_ReportsFullTopOneAccuracyOverallAndPerCategory_WhenEachQueryIsItsProductsShopImage()
    {
        // Eight garments, two of each kind; each query is the very image stored for its product, so
        // the product's own image scores ~1.0 and must rank first.
        const string catalog = "e2e-eval";
        var specs = GarmentCatalog.Generate(8, seed: 77);
        var manifest = new StringBuilder("product_id,image,category\n");
        var queries = new StringBuilder("image,product_id,category\n");
        foreach (var (productId, spec) in specs)
        {
            var file = $"{productId}.jpg";
            using var image = GarmentImages.Draw(spec);
            _shop.WriteBytes(file, GarmentImages.Encode(image, SKEncodedImageFormat.Jpeg));
            manifest.Append($"{productId},{file},{spec.Category}\n");
            queries.Append($"{file},{productId},{spec.Category}\n");
        }

        var created = await gateway.RunCliAsync("catalog", "create", catalog);
        Assert.True(created.ExitCode == 0, created.Output);
        var ingest = await gateway.RunCliAsync("ingest", "--catalog", catalog, "--manifest", _shop.WriteText("manifest.csv", manifest.ToString()));
        Assert.True(ingest.ExitCode == 0, ingest.Output);

        var result = await gateway.RunCliAsync(
            "eval", "--catalog", catalog, "--queries", _shop.WriteText("queries.csv", queries.ToString()), "--k", "1,5", "--json");

        Assert.True(result.ExitCode == 0, result.Output);
        // Output holds both streams: a run over 5 s also writes progress lines to stderr before the document.
        using var document = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..]);
        var overall = document.RootElement.GetProperty("overall");
        Assert.Equal(8, overall.GetProperty("queries").GetInt32());
        Assert.Equal(1.0, overall.GetProperty("accuracy").GetProperty("1").GetDouble());
        Assert.Equal(1.0, overall.GetProperty("mrr").GetDouble());
        var categories = document.RootElement.GetProperty("categories").EnumerateArray().ToList();
        Assert.Equal(specs.Select(s => s.Spec.Category).Distinct().Order(StringComparer.Ordinal), categories.Select(c => c.GetProperty("category").GetString()));
        Assert.All(categories, c =>
        {
            Assert.Equal(2, c.GetProperty("queries").GetInt32());
            Assert.Equal(1.0, c.GetProperty("accuracy").GetProperty("1").GetDouble());
        });
    }
}
