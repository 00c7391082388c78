using System.Text;
using System.Text.Json;
using OutfitFinder.Cli.Charts;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary><c>outfit eval</c> comparing catalogs with a chart, and <c>outfit tsne</c>, against the real gateway.</summary>
public sealed class ChartsEndToEndTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly TempFolder _shop = new();

    public void Dispose() => _shop.Dispose();

    [Fact]
    public async Task Eval_ComparesTwoCatalogsOnTheSameQueries_AndDrawsTheChart()
    {
        var (manifest, queries) = WriteGarments(8, seed: 31);
        foreach (var (catalog, model, metric) in new[] { ("chart-cnn", "resnet18", "cosine"), ("chart-wb", "whitebox", "l1") })
        {
            var created = await gateway.RunCliAsync("catalog", "create", catalog, "--model", model, "--metric", metric);
            Assert.True(created.ExitCode == 0, created.Output);
            var ingest = await gateway.RunCliAsync("ingest", "--catalog", catalog, "--manifest", manifest);
            Assert.True(ingest.ExitCode == 0, ingest.Output);
        }

        var chart = Path.Combine(_shop.Path, "charts", "compare.png");
        var result = await gateway.RunCliAsync(
            "eval", "--catalog", "chart-cnn", "--catalog", "chart-wb", "--queries", queries, "--k", "1,5", "--json", "--chart", chart);

        Assert.True(result.ExitCode == 0, result.Output);
        var json = result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..result.Output.LastIndexOf('}')] + "}";
        using var document = JsonDocument.Parse(json);
        var catalogs = document.RootElement.GetProperty("catalogs").EnumerateArray().ToList();
        Assert.Equal(["chart-cnn", "chart-wb"], catalogs.Select(c => c.GetProperty("catalog").GetString()));
        // Each query is its product's own shop image, so both models rank it first.
        Assert.All(catalogs, c => Assert.Equal(1.0, c.GetProperty("overall").GetProperty("accuracy").GetProperty("1").GetDouble()));
        using var codec = SKCodec.Create(chart);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        Assert.Equal(AccuracyChart.Width, codec.Info.Width);
    }

    [Fact]
    public async Task Tsne_WritesAMapOfTheCatalog()
    {
        var (manifest, _) = WriteGarments(12, seed: 32);
        Assert.Equal(0, (await gateway.RunCliAsync("catalog", "create", "tsne-map")).ExitCode);
        Assert.Equal(0, (await gateway.RunCliAsync("ingest", "--catalog", "tsne-map", "--manifest", manifest)).ExitCode);
        var map = Path.Combine(_shop.Path, "map.png");

        var result = await gateway.RunCliAsync("tsne", "--catalog", "tsne-map", "--out", map, "--perplexity", "3", "--iterations", "300");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Mapped 12 products", result.Output, StringComparison.Ordinal);
        using var codec = SKCodec.Create(map);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        Assert.Equal(EmbeddingMap.Size, codec.Info.Height);
    }

    [Fact]
    public async Task Tsne_FailsWithTheGatewaysReason_ForAnUnknownCatalog()
    {
        var result = await gateway.RunCliAsync("tsne", "--catalog", "no-such-catalog", "--out", Path.Combine(_shop.Path, "x.png"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no-such-catalog", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_shop.Path, "x.png")));
    }

    private (string Manifest, string Queries) WriteGarments(int count, int seed)
    {
        var manifest = new StringBuilder("product_id,image,category\n");
        var queries = new StringBuilder("image,product_id,category\n");
        foreach (var (productId, spec) in GarmentCatalog.Generate(count, seed))
        {
            var file = $"{seed}-{productId}.jpg";
            using var image = GarmentImages.Draw(spec);
            _shop.WriteBytes(file, GarmentImages.Encode(image, SKEncodedImageFormat.Jpeg));
            manifest.Append($"{productId},{file},{spec.Category}\n");
            queries.Append($"{file},{productId},{spec.Category}\n");
        }

        return (_shop.WriteText($"manifest-{seed}.csv", manifest.ToString()), _shop.WriteText($"queries-{seed}.csv", queries.ToString()));
    }
}
