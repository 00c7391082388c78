using System.Text;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Cli.Tests.Training;

public sealed class TrainCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>
    /// A pairs file over <paramref name="products"/> generated garments: each shop shot paired with
    /// two street photos made from it. Returns the CSV's lines, header first.
    /// </summary>
    private List<string> WritePairs(int products, int seed)
    {
        var lines = new List<string> { "product_id,category,shop_image,consumer_image,notes" };
        foreach (var (productId, spec) in GarmentCatalog.Generate(products, seed))
        {
            using var shop = GarmentImages.Draw(spec);
            _folder.WriteBytes($"shop/{productId}.jpg", GarmentImages.Encode(shop));
            for (var view = 0; view < 2; view++)
            {
                using var consumer = GarmentImages.ConsumerView(shop, seed: (seed * 100) + lines.Count);
                _folder.WriteBytes($"street/{productId}-{view}.jpg", GarmentImages.Encode(consumer));
                lines.Add($"{productId},{spec.Category},shop/{productId}.jpg,street/{productId}-{view}.jpg,ignored");
            }
        }

        return lines;
    }

    private async Task<CliResult> TrainAsync(params string[] extra)
    {
        using var http = new HttpClient();
        return await CliHarness.RunAsync(http, ["train", "--pairs", Path.Combine(_folder.Path, "pairs.csv"), .. extra]);
    }

    [Fact]
    public async Task Train_WritesAHeadALossChartAndACache_AndListsBadRows()
    {
        var lines = WritePairs(products: 6, seed: 3);
        lines.Add("p0001,Dress,shop/p0001.jpg,street/missing.jpg");
        _folder.WriteBytes("street/corrupt.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        lines.Add("p0002,Skirt,shop/p0002.jpg,street/corrupt.jpg");
        lines.Add(",Top,shop/p0003.jpg,street/p0003-0.jpg");
        _folder.WriteText("pairs.csv", string.Join('\n', lines));
        var head = Path.Combine(_folder.Path, "heads", "garments.head");

        var result = await TrainAsync("--out", head, "--epochs", "4", "--dim", "16", "--negatives", "4", "--seed", "7");

        Assert.True(result.ExitCode == 0, result.Output);
        var trained = HeadFile.Load(head);
        Assert.Equal(("resnet18", 512, 16), (trained.BaseModel, trained.InputDimension, trained.OutputDimension));
        Assert.Contains("pairs row 14 skipped: consumer_image 'street/missing.jpg' not found", result.Output);
        Assert.Contains("pairs row 15 skipped: consumer image cannot be used", result.Output);
        Assert.Contains("pairs row 16 skipped: 'product_id' is empty", result.Output);
        Assert.Contains("Trained on 12 pairs (12 consumer, 6 shop photos)", result.Output);
        Assert.Contains("epoch 4/4: training loss", result.Output);
        Assert.Contains("model \"resnet18+garments\"", result.Output);

        using var chart = SKBitmap.Decode(Path.Combine(_folder.Path, "heads", "garments.loss.png"));
        Assert.Equal((800, 500), (chart.Width, chart.Height));
        Assert.True(File.Exists(Path.Combine(_folder.Path, "heads", "garments.vectors")));
    }

    [Fact]
    public async Task Train_ReusesCachedBaseVectors_AndGivesTheSameHeadForTheSameSeed()
    {
        _folder.WriteText("pairs.csv", string.Join('\n', WritePairs(products: 4, seed: 5)));
        var first = Path.Combine(_folder.Path, "first.head");
        var again = Path.Combine(_folder.Path, "first-copy.head");

        var firstRun = await TrainAsync("--out", first, "--epochs", "2", "--dim", "8");
        File.Copy(Path.Combine(_folder.Path, "first.vectors"), Path.Combine(_folder.Path, "first-copy.vectors"));
        var secondRun = await TrainAsync("--out", again, "--epochs", "2", "--dim", "8");

        Assert.Contains("Embedded 12/12 images", firstRun.Output);
        Assert.DoesNotContain("Embedded", secondRun.Output);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(again));
    }

    [Fact]
    public async Task Train_ReportsValidationLossAndAccuracy_WhenGivenAValidationFile()
    {
        var lines = WritePairs(products: 4, seed: 8);
        // Each product's first street photo trains, its second validates.
        _folder.WriteText("pairs.csv", string.Join('\n', lines.Where((_, i) => i == 0 || i % 2 == 1)));
        _folder.WriteText("validation.csv", string.Join('\n', lines.Where((_, i) => i % 2 == 0)));

        var result = await TrainAsync("--out", Path.Combine(_folder.Path, "v.head"), "--epochs", "2", "--dim", "8",
            "--validation", Path.Combine(_folder.Path, "validation.csv"));

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("epoch 2/2: training loss", result.Output);
        Assert.Contains(", validation loss ", result.Output);
        Assert.Contains("Top-1 on the validation pairs", result.Output);
    }

    [Fact]
    public async Task Train_FailsWithTheMissingColumns_WhenTheHeaderIsWrong()
    {
        _folder.WriteText("pairs.csv", "product_id,image\np1,a.jpg\n");

        var result = await TrainAsync("--out", Path.Combine(_folder.Path, "x.head"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing: shop_image, consumer_image", result.Output);
        Assert.False(File.Exists(Path.Combine(_folder.Path, "x.head")));
    }

    [Fact]
    public async Task Train_Fails_WhenAllPairsShowOneProduct()
    {
        var lines = WritePairs(products: 1, seed: 2);
        _folder.WriteText("pairs.csv", string.Join('\n', lines));

        var result = await TrainAsync("--out", Path.Combine(_folder.Path, "x.head"), "--base", "whitebox");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("at least two products", result.Output);
    }

    [Theory]
    [InlineData("--base", "clip", "'clip' is not a model this command can run")]
    [InlineData("--dim", "0", "--dim must be between 1 and 65536")]
    [InlineData("--lr", "2", "--lr must be above 0 and at most 1")]
    public async Task Train_RefusesBadOptions_WithAReason(string option, string value, string expected)
    {
        _folder.WriteText("pairs.csv", string.Join('\n', WritePairs(products: 2, seed: 1)));

        var result = await TrainAsync("--out", Path.Combine(_folder.Path, "x.head"), option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Output);
    }
}
