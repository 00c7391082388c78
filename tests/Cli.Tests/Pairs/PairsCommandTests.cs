using System.Text;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Cli.Tests.Pairs;

/// <summary><c>outfit pairs</c> on a small folder of drawn photos laid out like the real one.</summary>
public sealed class PairsCommandTests : IDisposable
{
    private const int SenderCount = 10;
    private const int PhotosPerSender = 3;
    private readonly TempFolder _folder = new();
    private readonly string _photos;

    public PairsCommandTests()
    {
        // 30 photos of 10 senders, plus a row labelled "Not sure", one "Skip" and one whose file is missing.
        var csv = new StringBuilder("image,sender_id,label,kids\n");
        var specs = GarmentCatalog.Generate(SenderCount * PhotosPerSender, seed: 5);
        for (var i = 0; i < specs.Count; i++)
        {
            var id = $"photo-{i:00}";
            using var image = GarmentImages.Draw(specs[i].Spec, 96, 128);
            _folder.WriteBytes($"photos/images/{id}.jpg", GarmentImages.Encode(image, SKEncodedImageFormat.Jpeg));
            csv.Append($"{id},{100 + (i % SenderCount)},{specs[i].Spec.Category},False\n");
        }

        using (var unsure = GarmentImages.Draw(specs[0].Spec, 96, 128))
        {
            _folder.WriteBytes("photos/images/unsure.jpg", GarmentImages.Encode(unsure, SKEncodedImageFormat.Jpeg));
        }

        csv.Append("unsure,100,Not sure,False\nskipped,101,Skip,False\nno-file,102,Dress,False\n");
        _photos = System.IO.Path.GetDirectoryName(_folder.WriteText("photos/images.csv", csv.ToString()))!;
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Pairs_SplitsBySender_SoTrainTestAndCategoryQueriesShareNoProductAndNoSender()
    {
        var output = await GenerateAsync("out", seed: 3);

        var senderOf = SenderOfPhoto();
        var train = Column(output, "train_pairs.csv", "product_id");
        var test = Column(output, "test_shop.csv", "product_id");
        var category = Column(output, "test_category_queries.csv", "image").Select(path => System.IO.Path.GetFileNameWithoutExtension(path)).ToHashSet();
        Assert.NotEmpty(train);
        Assert.NotEmpty(test);
        Assert.NotEmpty(category);
        Assert.Empty(train.Intersect(test));
        Assert.Empty(train.Intersect(category));
        Assert.Empty(test.Intersect(category));
        var (trainSenders, testSenders, categorySenders) = (Senders(train), Senders(test), Senders(category));
        Assert.Empty(trainSenders.Intersect(testSenders));
        Assert.Empty(trainSenders.Intersect(categorySenders));
        Assert.Empty(testSenders.Intersect(categorySenders));

        // Every usable photo is used exactly once; the unlabelled and missing rows are not.
        Assert.Equal(SenderCount * PhotosPerSender, train.Count + test.Count + category.Count);
        Assert.DoesNotContain("unsure", train.Concat(test).Concat(category));

        HashSet<string> Senders(IEnumerable<string> products) => [.. products.Select(p => senderOf[p])];
    }

    [Fact]
    public async Task Pairs_WritesTheFixedFormats_WithPathsRelativeToTheOutputFolder()
    {
        var output = await GenerateAsync("out", seed: 3, "--views", "2");

        Assert.Equal("product_id,category,shop_image,consumer_image", Header(output, "train_pairs.csv"));
        Assert.Equal("product_id,category,shop_image,consumer_image", Header(output, "test_pairs.csv"));
        Assert.Equal("product_id,image,category", Header(output, "test_shop.csv"));
        Assert.Equal("image,product_id,category", Header(output, "test_queries.csv"));
        Assert.Equal("image,product_id,category", Header(output, "test_category_queries.csv"));

        var labels = LabelOfPhoto();
        foreach (var row in Rows(output, "train_pairs.csv").Concat(Rows(output, "test_pairs.csv")))
        {
            Assert.Equal(labels[row[0]], row[1]);
            Assert.Equal($"shop/{row[0]}.jpg", row[2]);
            Assert.True(File.Exists(System.IO.Path.Combine(output, row[2])), row[2]);
            using var consumer = SKBitmap.Decode(System.IO.Path.Combine(output, row[3]));
            Assert.NotNull(consumer);
        }

        // Two views per test product, each a query for its product; the gallery has each product once.
        var testProducts = Column(output, "test_shop.csv", "product_id");
        var queries = Rows(output, "test_queries.csv");
        Assert.Equal(2 * testProducts.Count, queries.Count);
        Assert.All(queries, q => Assert.Contains(q[1], testProducts));
        Assert.Equal(testProducts.Count, Rows(output, "test_shop.csv").Count);

        // Category queries name no product, so outfit eval counts any result of their label as a hit.
        Assert.All(Rows(output, "test_category_queries.csv"), q =>
        {
            Assert.Equal("", q[1]);
            Assert.Equal(labels[System.IO.Path.GetFileNameWithoutExtension(q[0])], q[2]);
        });
    }

    [Fact]
    public async Task Pairs_IsDeterministicForASeed_AndASecondSeedDrawsOtherViews()
    {
        var first = await GenerateAsync("a", seed: 11);
        var again = await GenerateAsync("b", seed: 11);
        var other = await GenerateAsync("c", seed: 12);

        var files = Directory.GetFiles(first, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(first, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(again, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(again, f)).Order(StringComparer.Ordinal));
        Assert.All(files, file => Assert.Equal(File.ReadAllBytes(System.IO.Path.Combine(first, file)), File.ReadAllBytes(System.IO.Path.Combine(again, file))));

        var consumer = files.First(f => f.StartsWith("consumer", StringComparison.Ordinal));
        var otherConsumer = System.IO.Path.Combine(other, consumer);
        var splitChanged = File.ReadAllText(System.IO.Path.Combine(first, "train_pairs.csv")) != File.ReadAllText(System.IO.Path.Combine(other, "train_pairs.csv"));
        Assert.True(splitChanged || !File.ReadAllBytes(System.IO.Path.Combine(first, consumer)).SequenceEqual(File.ReadAllBytes(otherConsumer)));
    }

    [Fact]
    public async Task Pairs_Street_WritesStreetViewsAndAValidationSplitOfTrainingSenders_Deterministically()
    {
        var output = await GenerateAsync("street", seed: 3, "--kind", "street", "--validation-fraction", "0.2");
        var again = await GenerateAsync("street-again", seed: 3, "--kind", "street", "--validation-fraction", "0.2");

        var senderOf = SenderOfPhoto();
        var train = Column(output, "train_pairs.csv", "product_id");
        var validation = Column(output, "val_shop.csv", "product_id");
        var test = Column(output, "test_shop.csv", "product_id");
        Assert.NotEmpty(validation);
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(validation.Intersect(test));
        Assert.Empty(train.Select(p => senderOf[p]).Intersect(validation.Select(p => senderOf[p])));
        Assert.Equal(validation.Count, Rows(output, "val_queries.csv").Count / 2);
        Assert.All(Rows(output, "val_queries.csv"), q => Assert.Contains(q[1], validation));

        // The test split is the one the consumer kind draws for the same seed and fractions.
        var consumer = await GenerateAsync("consumer", seed: 3);
        Assert.Equal(Column(consumer, "test_shop.csv", "product_id"), test);

        foreach (var query in Rows(output, "test_queries.csv"))
        {
            using var view = SKBitmap.Decode(System.IO.Path.Combine(output, query[0]));
            Assert.NotNull(view);
            Assert.Equal(File.ReadAllBytes(System.IO.Path.Combine(output, query[0])), File.ReadAllBytes(System.IO.Path.Combine(again, query[0])));
        }
    }

    [Fact]
    public async Task Pairs_FailsWithAClearMessage_WhenThePhotosFolderIsMissing()
    {
        using var http = new HttpClient();
        var missing = System.IO.Path.Combine(_folder.Path, "no-such-folder");

        var result = await CliHarness.RunAsync(http, "pairs", "--photos", missing, "--out", System.IO.Path.Combine(_folder.Path, "x"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not exist", result.Output, StringComparison.Ordinal);
        Assert.Contains(missing, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pairs_RejectsFractionsThatLeaveNothingToTrainOn()
    {
        using var http = new HttpClient();

        var result = await CliHarness.RunAsync(http, "pairs", "--photos", _photos, "--out", System.IO.Path.Combine(_folder.Path, "x"),
            "--test-fraction", "0.6", "--category-fraction", "0.5");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("under 1", result.Output, StringComparison.Ordinal);
    }

    private async Task<string> GenerateAsync(string name, int seed, params string[] extra)
    {
        using var http = new HttpClient();
        var output = System.IO.Path.Combine(_folder.Path, name);
        var result = await CliHarness.RunAsync(http,
            ["pairs", "--photos", _photos, "--out", output, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--test-fraction", "0.3", "--category-fraction", "0.2", "--size", "64", .. extra]);
        Assert.True(result.ExitCode == 0, result.Output);
        return output;
    }

    private Dictionary<string, string> SenderOfPhoto() => PhotoRows().ToDictionary(r => r[0], r => r[1]);

    private Dictionary<string, string> LabelOfPhoto() => PhotoRows().ToDictionary(r => r[0], r => r[2]);

    private IEnumerable<string[]> PhotoRows() => File.ReadAllLines(System.IO.Path.Combine(_photos, "images.csv")).Skip(1).Select(l => l.Split(','));

    private static string Header(string folder, string file) => File.ReadLines(System.IO.Path.Combine(folder, file)).First();

    private static List<string[]> Rows(string folder, string file) =>
        [.. File.ReadAllLines(System.IO.Path.Combine(folder, file)).Skip(1).Select(line => line.Split(','))];

    private static HashSet<string> Column(string folder, string file, string column)
    {
        var index = Array.IndexOf(Header(folder, file).Split(','), column);
        return [.. Rows(folder, file).Select(row => row[index])];
    }
}
