using System.Net;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Search;

public sealed class SearchCommandTests : IDisposable
{
    private const string TwoHits =
        """
        {"results":[
          {"productId":"sku/42","score":0.912345,"category":"Dress","imageIndex":1,"metadata":{"color":"rouge","price":19.9}},
          {"productId":"p7","score":0.5,"category":null,"imageIndex":0,"metadata":null}
        ],"partial":false,"tookMs":12.34}
        """;

    private static readonly byte[] PhotoBytes = [0xFF, 0xD8, 0xFF, 0xE0, 7, 7, 7];

    private readonly TempFolder _folder = new();
    private readonly string _photo;

    public SearchCommandTests()
    {
        _photo = _folder.WriteBytes("street photo.jpg", PhotoBytes);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Search_PostsThePhotoWithKAndCategory()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--k", "5", "--category", "Summer Dress", _photo);

        var request = Assert.Single(gateway.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/v1/catalogs/shoes/search?k=5&category=Summer%20Dress", request.PathAndQuery);
        var part = Assert.Single(await request.ReadFormAsync());
        Assert.Equal("image", part.Name);
        Assert.Equal("street photo.jpg", part.FileName);
        Assert.Equal("image/jpeg", part.ContentType);
        Assert.Equal(PhotoBytes, part.Content);
    }

    [Fact]
    public async Task Search_SendsTheBoxAsAFormField_WhenBoxIsGiven()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--box", "10,20,300,400", _photo);

        var parts = await Assert.Single(gateway.Requests).ReadFormAsync();
        Assert.Equal(["image", "box"], parts.Select(p => p.Name));
        Assert.Equal("10,20,300,400"u8.ToArray(), parts[1].Content);
    }

    [Fact]
    public async Task Search_FailsWithoutCallingTheGateway_WhenTheBoxIsMalformed()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--box", "10,20,300", _photo);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(gateway.Requests);
        Assert.Contains("--box '10,20,300' is not four non-negative integers", result.Output);
    }

    [Fact]
    public async Task Search_SendsLocaliseInTheQuery_WhenLocaliseIsGiven()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--localise", "Thorough", _photo);

        var request = Assert.Single(gateway.Requests);
        Assert.Equal("/v1/catalogs/shoes/search?k=20&localise=thorough", request.PathAndQuery);
        Assert.Equal(["image"], (await request.ReadFormAsync()).Select(p => p.Name));
    }

    [Fact]
    public async Task Search_FailsWithoutCallingTheGateway_WhenLocaliseIsUnknown()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--localise", "deep", _photo);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(gateway.Requests);
        Assert.Contains("--localise 'deep' is not one of none, fast, thorough.", result.Output);
    }

    [Fact]
    public async Task Search_AsksForTwentyResults_WhenKIsNotGiven()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", _photo);

        Assert.Equal("/v1/catalogs/shoes/search?k=20", Assert.Single(gateway.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Search_PrintsATableOfHits_BestFirst()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", _photo);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(["Rank", "Product", "Score", "Category", "Image", "Metadata"], ConsoleTable.Cells(result.Output));
        var hits = ConsoleTable.Hits(result.Output);
        Assert.Equal(2, hits.Count);
        Assert.Equal(["1", "sku/42", "0.9123", "Dress", "1", """{"color":"rouge","price":19.9}"""], hits[0]);
        Assert.Equal(["2", "p7", "0.5000", "", "0", ""], hits[1]);
        Assert.Contains("Took 12.3 ms.", result.Output);
        Assert.DoesNotContain("warning", result.Output);
    }

    [Fact]
    public async Task Search_WarnsThatResultsMayBeIncomplete_WhenTheResponseIsPartial()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(
            HttpStatusCode.OK, """{"results":[],"partial":true,"tookMs":250}"""));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", _photo);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No results.", result.Output);
        Assert.Contains("warning: Partial results: some shards did not answer", result.Output);
    }

    [Fact]
    public async Task Search_PrintsTheResponseAsReceived_WhenJsonIsAsked()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", "--json", _photo);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(TwoHits + Environment.NewLine, result.Output);
    }

    [Fact]
    public async Task Search_ShowsTheProblemDetailAndFails_WhenTheGatewayRejectsThePhoto()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(
            HttpStatusCode.BadRequest, "Invalid image", "The image could not be decoded."));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", _photo);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: The image could not be decoded. (HTTP 400 Bad Request)\n", result.Output);
    }

    [Fact]
    public async Task Search_SaysTheGatewayIsNotReachable_WhenTheConnectionIsRefused()
    {
        var result = await CliHarness.RunAsync(
            FakeGateway.Refusing(), "search", "--catalog", "shoes", "--gateway", "http://gpu-box:8080", _photo);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Gateway not reachable at http://gpu-box:8080/", result.Output);
    }

    [Fact]
    public async Task Search_FailsWithoutCallingTheGateway_WhenThePhotoDoesNotExist()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, TwoHits));

        var result = await CliHarness.RunAsync(gateway, "search", "--catalog", "shoes", Path.Combine(_folder.Path, "nope.jpg"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nope.jpg", result.Output);
        Assert.Empty(gateway.Requests);
    }
}
