using System.Net;
using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.Keys;

public sealed class KeysCommandsTests
{
    private const string Created =
        """{"key":"ofk_3f9a2c7d1e5b.secretsecretsecretsecretsecretsecret","info":{"id":"3f9a2c7d1e5b","name":"acme","scopes":["search"],"catalogs":null,"catalogPrefix":"acme-","corsOrigins":null,"maxProductsPerCatalog":null,"createdAt":"2026-12-05T07:00:00+00:00","revokedAt":null}}""";

    [Fact]
    public async Task Create_PostsScopesAndLimits_AndPrintsTheKeyOnce()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, Created));

        var result = await CliHarness.RunAsync(gateway, "keys", "create", "--scopes", "search", "--catalog-prefix", "acme-", "--name", "acme",
            "--api-key", "ofk_admin.adminsecretadminsecretadminsecretadmin");

        var request = Assert.Single(gateway.Requests);
        Assert.Equal("http://localhost:5080/v1/keys", request.Uri.AbsoluteUri);
        Assert.Equal("""{"name":"acme","scopes":["search"],"catalogPrefix":"acme-"}""", request.BodyText);
        Assert.Equal("Bearer ofk_admin.adminsecretadminsecretadminsecretadmin", request.Authorization);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("ofk_3f9a2c7d1e5b.secretsecretsecretsecretsecretsecret\n", result.Output);
    }

    [Fact]
    public async Task Create_SplitsCommaSeparatedScopes()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.Created, Created));

        await CliHarness.RunAsync(gateway, "keys", "create", "--scopes", "search,write", "--catalogs", "a,b");

        Assert.Equal("""{"scopes":["search","write"],"catalogs":["a","b"]}""", Assert.Single(gateway.Requests).BodyText);
    }

    [Fact]
    public async Task Revoke_DeletesTheKey_AndShowsTheGatewaysReason_WhenRefused()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(HttpStatusCode.Forbidden, "Not allowed", "API key 'x' lacks the 'admin' scope."));

        var result = await CliHarness.RunAsync(gateway, "keys", "revoke", "3f9a2c7d1e5b");

        var request = Assert.Single(gateway.Requests);
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal("/v1/keys/3f9a2c7d1e5b", request.PathAndQuery);
        Assert.Null(request.Authorization);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lacks the 'admin' scope", result.Output);
    }

    [Fact]
    public async Task List_ShowsIdsScopesAndRevocation_ButNoSecret()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK,
            """[{"id":"3f9a2c7d1e5b","name":"acme","scopes":["search","write"],"catalogs":["a"],"catalogPrefix":null,"corsOrigins":null,"maxProductsPerCatalog":null,"createdAt":"2026-12-05T07:00:00+00:00","revokedAt":"2026-12-05T08:00:00+00:00"}]"""));

        var result = await CliHarness.RunAsync(gateway, "keys", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("3f9a2c7d1e5b", result.Output);
        Assert.Contains("search,write", result.Output);
        Assert.Contains("2026-12-05 08:00:00Z", result.Output);
    }
}
