using System.Net;
using System.Text.Json;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Evaluation;

public sealed class EvalCommandTests : IDisposable
{
    private const string Gateway = "http://gw.test";

    // Results per query photo. dress.jpg finds d1 second; skirt.jpg finds s1 first; street.jpg is a
    // category-only Top query whose first Top is third; lost.jpg (product t9) is never found.
    // top-1: 1/4 = 25.0%; top-3: 3/4 = 75.0%; MRR over d1, s1, t9: (1/2 + 1 + 0) / 3 = 0.5.
    private static readonly Dictionary<string, string> ResultsByPhoto = new()
    {
        ["dress.jpg"] = Results(("d9", "Dress"), ("d1", "Dress"), ("s1", "Skirt")),
        ["skirt.jpg"] = Results(("s1", "Skirt"), ("d1", "Dress"), ("s2", "Skirt")),
        ["street.jpg"] = Results(("d1", "Dress"), ("s1", "Skirt"), ("t1", "Top")),
        ["lost.jpg"] = Results(("d1", "Dress"), ("s1", "Skirt"), ("s2", "Skirt")),
    };

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Eval_SearchesEachPhotoOnceWithTheLargestKAndNoCategory_ForTheKList()
    {
        var queries = WriteQueries();
        var gateway = new FakeGateway(AnswerByPhotoAsync);

        var result = await CliHarness.RunAsync(
            gateway, "eval", "--catalog", "shop", "--queries", queries, "--k", "3,1", "--gateway", Gateway);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(4, gateway.Requests.Count);
        Assert.All(gateway.Requests, request => Assert.Equal("/v1/catalogs/shop/search?k=3", request.PathAndQuery));
        var photos = new List<string?>();
        foreach (var request in gateway.Requests)
        {
            photos.Add(Assert.Single(await request.ReadFormAsync()).FileName);
        }

        Assert.Equal(["dress.jpg", "lost.jpg", "skirt.jpg", "street.jpg"], photos.Order());
    }

    [Fact]
    public async Task Eval_PrintsOverallAndPerCategoryPercentages_AsATable()
    {
        var result = await CliHarness.RunAsync(
            new FakeGateway(AnswerByPhotoAsync), "eval", "--catalog", "shop", "--queries", WriteQueries(), "--k", "1,3", "--gateway", Gateway);

        Assert.Equal(0, result.ExitCode);
        var cells = ConsoleTable.Cells(result.Output);
        Assert.Equal(["Queries", "n", "top-1", "top-3", "MRR"], cells[0]);
        Assert.Equal(["overall", "4", "25.0%", "75.0%", "0.500"], cells[1]);
        Assert.Equal(["Dress", "1", "0.0%", "100.0%", "0.500"], cells[2]);
        Assert.Equal(["Skirt", "1", "100.0%", "100.0%", "1.000"], cells[3]);
        Assert.Equal(["Top", "2", "0.0%", "50.0%", "0.000"], cells[4]);
        Assert.Contains("4 queries on catalog shop (3 by product, 1 by category), 0 rows skipped; each searched for the top 3.", result.Output);
    }

    [Fact]
    public async Task Eval_PrintsTheSameNumbers_AsJson()
    {
        var result = await CliHarness.RunAsync(
            new FakeGateway(AnswerByPhotoAsync), "eval", "--catalog", "shop", "--queries", WriteQueries(), "--k", "1,3", "--json", "--gateway", Gateway);

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal([1, 3], root.GetProperty("k").EnumerateArray().Select(k => k.GetInt32()));
        var overall = root.GetProperty("overall");
        Assert.Equal(4, overall.GetProperty("queries").GetInt32());
        Assert.Equal(3, overall.GetProperty("instanceQueries").GetInt32());
        Assert.Equal(0.25, overall.GetProperty("accuracy").GetProperty("1").GetDouble());
        Assert.Equal(0.75, overall.GetProperty("accuracy").GetProperty("3").GetDouble());
        Assert.Equal(0.5, overall.GetProperty("mrr").GetDouble());
        var categories = root.GetProperty("categories").EnumerateArray().ToList();
        Assert.Equal(["Dress", "Skirt", "Top"], categories.Select(c => c.GetProperty("category").GetString()));
        Assert.Equal(0.5, categories[2].GetProperty("accuracy").GetProperty("3").GetDouble());
    }

    [Fact]
    public async Task Eval_SkipsBadRowsWithTheirNumbers_AndEvaluatesTheRest()
    {
        _folder.WriteBytes("skirt.jpg", [1]);
        var queries = _folder.WriteText("queries.csv", "image,product_id,category\nnowhere.jpg,d1,Dress\nskirt.jpg,s1,Skirt\n");
        var gateway = new FakeGateway(AnswerByPhotoAsync);

        var result = await CliHarness.RunAsync(gateway, "eval", "--catalog", "shop", "--queries", queries, "--k", "1", "--gateway", Gateway);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: row 2 skipped: image 'nowhere.jpg' not found", result.Output);
        Assert.Single(gateway.Requests);
        Assert.Equal(["overall", "1", "100.0%", "1.000"], ConsoleTable.Cells(result.Output)[1]);
    }

    [Fact]
    public async Task Eval_ExitsNonZeroWithTheProblemDetail_WhenTheGatewayRefusesASearch()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(HttpStatusCode.NotFound, "Not Found", "Catalog 'shop' does not exist."));

        var result = await CliHarness.RunAsync(gateway, "eval", "--catalog", "shop", "--queries", WriteQueries(), "--gateway", Gateway);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Catalog 'shop' does not exist. (HTTP 404 Not Found)", result.Output);
        Assert.DoesNotContain("overall", result.Output);
    }

    [Fact]
    public async Task Eval_ExitsNonZeroWithoutSearching_WhenNoRowCanBeEvaluated()
    {
        var queries = _folder.WriteText("queries.csv", "image,product_id\nnowhere.jpg,d1\n");
        var gateway = new FakeGateway(AnswerByPhotoAsync);

        var result = await CliHarness.RunAsync(gateway, "eval", "--catalog", "shop", "--queries", queries, "--gateway", Gateway);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: No query could be evaluated", result.Output);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task Eval_ExitsNonZeroNamingTheColumn_WhenTheQueriesFileLacksImage()
    {
        var queries = _folder.WriteText("queries.csv", "photo,product_id\na.jpg,d1\n");

        var result = await CliHarness.RunAsync(new FakeGateway(AnswerByPhotoAsync), "eval", "--catalog", "shop", "--queries", queries, "--gateway", Gateway);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is missing the required column 'image'", result.Output);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1,x")]
    [InlineData("-5")]
    public async Task Eval_RejectsTheKList_WhenADepthIsNotAPositiveNumber(string ks)
    {
        var gateway = new FakeGateway(AnswerByPhotoAsync);

        var result = await CliHarness.RunAsync(gateway, "eval", "--catalog", "shop", "--queries", WriteQueries(), "--k", ks, "--gateway", Gateway);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--k", result.Output);
        Assert.Empty(gateway.Requests);
    }

    private string WriteQueries()
    {
        foreach (var photo in ResultsByPhoto.Keys)
        {
            _folder.WriteBytes($"photos/{photo}", [0xFF, 0xD8, 0xFF]);
        }

        return _folder.WriteText(
            "queries.csv",
            "image,product_id,category\nphotos/dress.jpg,d1,Dress\nphotos/skirt.jpg,s1,Skirt\nphotos/street.jpg,,Top\nphotos/lost.jpg,t9,Top\n");
    }

    private static async Task<HttpResponseMessage> AnswerByPhotoAsync(RecordedRequest request)
    {
        var photo = Assert.Single(await request.ReadFormAsync()).FileName!;
        return FakeGateway.Json(HttpStatusCode.OK, ResultsByPhoto[photo]);
    }

    private static string Results(params (string ProductId, string Category)[] hits) =>
        "{\"results\":["
        + string.Join(",", hits.Select((hit, i) =>
            $"{{\"productId\":\"{hit.ProductId}\",\"score\":0.{9 - i},\"category\":\"{hit.Category}\",\"imageIndex\":0}}"))
        + "],\"partial\":false,\"tookMs\":1.5}";
}
