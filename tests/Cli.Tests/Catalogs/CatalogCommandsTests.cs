using System.Net;
using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.Catalogs;

public sealed class CatalogCommandsTests
{
    private const string ShoesCatalog =
        """{"name":"shoes","model":"resnet18","metric":"cosine","dimension":512,"shards":4,"products":1200,"images":3456,"replicas":2,"localise":"fast"}""";

    [Fact]
    public async Task Create_PutsTheGivenSettings_AndReportsCreated()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(
            gateway, "catalog", "create", "shoes", "--model", "resnet18", "--metric", "cosine", "--shards", "4");

        var request = Assert.Single(gateway.Requests);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal("http://localhost:5080/v1/catalogs/shoes", request.Uri.AbsoluteUri);
        Assert.StartsWith("application/json", request.ContentType);
        Assert.Equal("""{"model":"resnet18","metric":"cosine","shards":4}""", request.BodyText);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Created catalog shoes.\n", result.Output);
    }

    [Fact]
    public async Task Create_SendsOnlyTheSettingsGiven_SoTheGatewayDefaultsTheRest()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        await CliHarness.RunAsync(gateway, "catalog", "create", "shoes", "--shards", "8");

        Assert.Equal("""{"shards":8}""", Assert.Single(gateway.Requests).BodyText);
    }

    [Fact]
    public async Task Create_SendsLocalise_WhenLocaliseIsGiven()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "create", "shoes", "--localise", "FAST");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"localise":"fast"}""", Assert.Single(gateway.Requests).BodyText);
    }

    [Fact]
    public async Task Create_RejectsAnUnknownLocalise_WithoutCallingTheGateway()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "create", "shoes", "--localise", "always");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--localise 'always' is not one of none, fast, thorough.", result.Output);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task Create_ReportsAlreadyExists_WhenTheGatewayAnswers200()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "create", "shoes");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Catalog shoes already exists with the same settings.\n", result.Output);
    }

    [Fact]
    public async Task Create_ShowsTheProblemDetailAndFails_WhenTheGatewayAnswers409()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(
            HttpStatusCode.Conflict, "Catalog exists", "Catalog 'shoes' exists with metric dot, not cosine."));

        var result = await CliHarness.RunAsync(gateway, "catalog", "create", "shoes", "--metric", "cosine");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Catalog 'shoes' exists with metric dot, not cosine. (HTTP 409 Conflict)\n", result.Output);
    }

    [Fact]
    public async Task Create_EscapesTheCatalogName_InThePath()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        await CliHarness.RunAsync(gateway, "catalog", "create", "summer sale/2025");

        Assert.Equal("/v1/catalogs/summer%20sale%2F2025", Assert.Single(gateway.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Create_SendsDimensionAndFields_ForACatalogOfVectorsMadeElsewhere()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(
            gateway, "catalog", "create", "shoes", "--model", "none", "--dimension", "512", "--fields", "price:number, brand:String");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""{"model":"none","dimension":512,"fields":{"price":"number","brand":"string"}}""", Assert.Single(gateway.Requests).BodyText);
    }

    [Theory]
    [InlineData("--model none", "--model none makes a catalog of vectors made elsewhere: give their length with --dimension N.")]
    [InlineData("--dimension 0", "--dimension must be between 1 and 4096.")]
    [InlineData("--fields price:money", "--fields 'price:money' is not NAME:TYPE with TYPE string or number")]
    [InlineData("--fields price:number,price:string", "--fields names 'price' twice.")]
    public async Task Create_RejectsBadVectorOrFieldOptions_WithoutCallingTheGateway(string options, string expected)
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, ["catalog", "create", "shoes", .. options.Split(' ')]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Output);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task Create_RejectsZeroShards_WithoutCallingTheGateway()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "create", "shoes", "--shards", "0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--shards must be at least 1.", result.Output);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task Show_PrintsEveryCatalogField()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "show", "shoes");

        var request = Assert.Single(gateway.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal("/v1/catalogs/shoes", request.PathAndQuery);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            ["Name shoes", "Model resnet18", "Metric cosine", "Dimension 512", "Shards 4", "Replicas 2", "Localise fast", "Products 1200", "Images 3456"],
            ConsoleTable.GridLines(result.Output));
    }

    [Fact]
    public async Task Show_ShowsTheProblemTitle_WhenTheProblemHasNoDetail()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(HttpStatusCode.NotFound, "Catalog not found", detail: null));

        var result = await CliHarness.RunAsync(gateway, "catalog", "show", "hats");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Catalog not found (HTTP 404 Not Found)\n", result.Output);
    }

    [Fact]
    public async Task Show_SaysTheGatewayIsNotReachable_WhenTheConnectionIsRefused()
    {
        var result = await CliHarness.RunAsync(FakeGateway.Refusing(), "catalog", "show", "shoes");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Gateway not reachable at http://localhost:5080/ (Connection refused", result.Output);
    }

    [Fact]
    public async Task Show_UsesTheGatewayOption_OverTheEnvironment()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog));

        await CliHarness.RunWithEnvironmentAsync(
            gateway, "http://from-env:9000", "catalog", "show", "shoes", "--gateway", "https://outfit.example/api");

        Assert.Equal("https://outfit.example/api/v1/catalogs/shoes", Assert.Single(gateway.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Show_UsesTheEnvironmentGateway_WhenNoOptionIsGiven()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog));

        await CliHarness.RunWithEnvironmentAsync(gateway, "http://from-env:9000", "catalog", "show", "shoes");

        Assert.Equal("http://from-env:9000/v1/catalogs/shoes", Assert.Single(gateway.Requests).Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Show_RejectsAGatewayThatIsNotAnHttpUrl()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog));

        var result = await CliHarness.RunAsync(gateway, "catalog", "show", "shoes", "--gateway", "localhost:5080");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--gateway must be an http:// or https:// URL, got 'localhost:5080'.", result.Output);
        Assert.Empty(gateway.Requests);
    }
}
