using OutfitFinder.Cli.Charts;
using OutfitFinder.Cli.Tests.Infrastructure;
using SkiaSharp;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Charts;

public sealed class AccuracyChartTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Save_WritesAPngOfTheChartSize_WithABarPerCatalogAndCategory()
    {
        var path = Path.Combine(_folder.Path, "chart.png");
        AccuracyChart.Series[] series =
        [
            new("whitebox-l1", new Dictionary<string, double> { ["overall"] = 0.2, ["Dress"] = 0.1, ["Pants"] = 0.3 }),
            new("resnet18", new Dictionary<string, double> { ["overall"] = 0.6, ["Dress"] = 0.7 }),
        ];

        AccuracyChart.Save(path, "Top-20 accuracy", AccuracyChart.AccuracyLabel(20), ["overall", "Dress", "Pants"], series);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        Assert.Equal(AccuracyChart.Width, codec.Info.Width);
        Assert.Equal(AccuracyChart.Height, codec.Info.Height);

        // The series' first palette colour (Category10 blue) is drawn: the bars are there.
        using var bitmap = SKBitmap.Decode(bytes);
        var blue = new SKColor(0x1f, 0x77, 0xb4);
        var found = false;
        for (var y = 0; y < bitmap.Height && !found; y += 2)
        {
            for (var x = 0; x < bitmap.Width && !found; x += 2)
            {
                found = bitmap.GetPixel(x, y) == blue;
            }
        }

        Assert.True(found, "no bar in the first series' colour");
    }

    [Fact]
    public async Task ChartCommand_DrawsOneChartFromSeveralSavedEvalResults()
    {
        var single = Path.Combine(_folder.Path, "resnet18-head.json");
        File.WriteAllText(single, """{"k":[1,20],"overall":{"queries":4,"instanceQueries":4,"accuracy":{"1":0.5,"20":1},"mrr":0.7},"categories":[{"category":"Dress","queries":4,"instanceQueries":4,"accuracy":{"1":0.5,"20":1},"mrr":0.7}]}""");
        var several = Path.Combine(_folder.Path, "others.json");
        File.WriteAllText(several, """{"catalogs":[{"catalog":"whitebox-l1","k":[1,20],"overall":{"queries":4,"instanceQueries":4,"accuracy":{"1":0.25,"20":0.5},"mrr":0.3},"categories":[]}]}""");
        var chart = Path.Combine(_folder.Path, "chart.png");
        using var http = new HttpClient();

        var result = await CliHarness.RunAsync(http, "chart", "--results", single, several, "--out", chart, "--k", "20");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("2 catalogs", result.Output, StringComparison.Ordinal);
        using var codec = SKCodec.Create(chart);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);

        var missingK = await CliHarness.RunAsync(http, "chart", "--results", single, "--out", chart, "--k", "5");
        Assert.Equal(1, missingK.ExitCode);
        Assert.Contains("no top-5", missingK.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChartCommand_DrawsOnlyTheNamedSeries_AndFailsOnANameNotInTheResults()
    {
        var results = Path.Combine(_folder.Path, "study.json");
        File.WriteAllText(results, StudyJson());
        var chart = Path.Combine(_folder.Path, "chart.png");
        using var http = new HttpClient();

        var picked = await CliHarness.RunAsync(http, "chart", "--results", results, "--out", chart, "--k", "1", "--series", "resnet18-rmac, thorough");

        Assert.True(picked.ExitCode == 0, picked.Output);
        Assert.Contains("Chart of 1 catalogs", picked.Output, StringComparison.Ordinal);

        var unknown = await CliHarness.RunAsync(http, "chart", "--results", results, "--out", chart, "--series", "resnet50, none");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No catalog named 'resnet50, none'", unknown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChartCommand_DrawsTheTopKCurve_WhenCurveIsAsked()
    {
        var results = Path.Combine(_folder.Path, "study.json");
        File.WriteAllText(results, StudyJson());
        var chart = Path.Combine(_folder.Path, "curve.png");
        using var http = new HttpClient();

        var result = await CliHarness.RunAsync(http, "chart", "--results", results, "--out", chart, "--curve");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Chart of 2 catalogs", result.Output, StringComparison.Ordinal);
        using var codec = SKCodec.Create(chart);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        Assert.Equal(TopKCurveChart.Width, codec.Info.Width);
        Assert.Equal(TopKCurveChart.Height, codec.Info.Height);
    }

    private static string StudyJson() => OutfitFinder.Cli.Study.StudyJson.ToJson(
        [("resnet18, none", [1, 30]), ("resnet18-rmac, thorough", [1, 2])], ["Dress", "Pants"]);
}
