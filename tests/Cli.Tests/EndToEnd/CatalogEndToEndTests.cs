using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary><c>outfit catalog</c> against the real gateway.</summary>
public sealed class CatalogEndToEndTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Show_PrintsTheDefinitionAndNoProducts_AfterCreate()
    {
        var created = await gateway.RunCliAsync("catalog", "create", "e2e-show", "--shards", "2");
        var shown = await gateway.RunCliAsync("catalog", "show", "e2e-show");

        Assert.Equal((0, "Created catalog e2e-show.\n"), (created.ExitCode, created.Output));
        Assert.Equal(0, shown.ExitCode);
        Assert.Equal(
            ["Name e2e-show", "Model resnet18-rmac-street", "Metric cosine", "Dimension 512", "Shards 2", "Replicas 1", "Localise thorough", "Products 0", "Images 0"],
            ConsoleTable.GridLines(shown.Output));
    }

    [Fact]
    public async Task Create_SucceedsAsAlreadyExisting_WhenRunAgainWithTheSameSettings()
    {
        await gateway.RunCliAsync("catalog", "create", "e2e-again", "--metric", "l2");

        var again = await gateway.RunCliAsync("catalog", "create", "e2e-again", "--metric", "l2");

        Assert.Equal((0, "Catalog e2e-again already exists with the same settings.\n"), (again.ExitCode, again.Output));
    }

    [Fact]
    public async Task Create_FailsWithTheGatewaysReason_WhenTheCatalogExistsWithOtherSettings()
    {
        await gateway.RunCliAsync("catalog", "create", "e2e-conflict", "--shards", "2");

        var conflict = await gateway.RunCliAsync("catalog", "create", "e2e-conflict", "--shards", "3");

        Assert.Equal(1, conflict.ExitCode);
        Assert.StartsWith("error: ", conflict.Output);
        Assert.EndsWith("(HTTP 409 Conflict)\n", conflict.Output);
    }

    [Fact]
    public async Task Show_FailsWithTheGatewaysReason_WhenTheCatalogDoesNotExist()
    {
        var shown = await gateway.RunCliAsync("catalog", "show", "e2e-nowhere");

        Assert.Equal((1, "error: There is no catalog named 'e2e-nowhere'. (HTTP 404 Not Found)\n"), (shown.ExitCode, shown.Output));
    }
}
