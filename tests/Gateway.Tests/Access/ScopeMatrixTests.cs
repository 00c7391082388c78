using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OutfitFinder.Gateway.Access;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>
/// Every API route against every scope: a key is let through exactly where its scope is the one
/// the route declares. Routes come from the gateway's own endpoint list, so a new route is in the
/// matrix without editing this test, and one that declares no scope fails it.
/// </summary>
public sealed class ScopeMatrixTests(KeysFixture fixture) : IClassFixture<KeysFixture>
{
    private const string Catalog = "matrix";

    /// <summary>Routes anyone may call: the page and its files, the OpenAPI document and health probes.</summary>
    private static readonly string[] PublicRoutes = ["/openapi/{documentName}.json", "/health/live", "/health/ready"];

    [Fact]
    public void EveryEndpoint_DeclaresAScopeOrIsPublic()
    {
        var undeclared = Endpoints()
            .Where(endpoint => endpoint.Metadata.GetMetadata<RequiredScope>() is null && !PublicRoutes.Contains(endpoint.RoutePattern.RawText))
            .Select(endpoint => endpoint.DisplayName)
            .ToList();

        Assert.True(undeclared.Count == 0, $"routes without .RequireScope(...) and not public: {string.Join("; ", undeclared)}");
    }

    [Fact]
    public async Task EveryEndpoint_AllowsExactlyItsScope_ForSingleScopeKeys()
    {
        (await fixture.Admin.CreateCatalogAsync(Catalog, new { shards = 1 })).EnsureSuccessStatusCode();
        var clients = new Dictionary<ApiScope, HttpClient>();
        foreach (var scope in ApiScopes.All)
        {
            var (key, _) = await fixture.CreateKeyAsync(new { name = $"matrix {scope}", scopes = new[] { scope.Name() } });
            clients[scope] = fixture.Client(key);
        }

        var wrong = new List<string>();
        var scoped = Endpoints().Where(endpoint => endpoint.Metadata.GetMetadata<RequiredScope>() is not null).ToList();
        Assert.True(scoped.Count >= 14, $"only {scoped.Count} scoped routes found");
        foreach (var endpoint in scoped)
        {
            var required = endpoint.Metadata.GetMetadata<RequiredScope>()!.Scope;
            foreach (var method in Methods(endpoint))
            {
                var path = Path(endpoint);
                foreach (var (scope, http) in clients)
                {
                    using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                    var status = (int)response.StatusCode;
                    var refused = status is 401 or 403;
                    if (refused == (scope == required) || (refused && status != 403))
                    {
                        wrong.Add($"{method} {path} with a '{scope.Name()}' key → {status} (route needs '{required.Name()}')");
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task EveryScopedEndpoint_Answers401WithAReason_WithoutAKey()
    {
        using var anonymous = fixture.Client(null);
        foreach (var endpoint in Endpoints().Where(endpoint => endpoint.Metadata.GetMetadata<RequiredScope>() is not null))
        {
            foreach (var method in Methods(endpoint))
            {
                using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), Path(endpoint)));
                var detail = await response.AssertProblemAsync(401);
                Assert.Contains("Authorization: Bearer", detail);
            }
        }
    }

    [Fact]
    public async Task PublicEndpoints_AnswerWithoutAKey()
    {
        using var anonymous = fixture.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Contains("<form id=\"search\"", await anonymous.GetStringAsync("/"));
    }

    [Fact]
    public async Task Request_Answers401NamingTheReason_ForAMalformedOrUnknownKey()
    {
        using var malformed = fixture.Client("not-a-key");
        Assert.Contains("malformed", await (await malformed.GetAsync("/v1/cluster")).AssertProblemAsync(401));
        using var unknown = fixture.Client("ofk_nosuchkey.0123456789abcdef0123456789abcdef");
        Assert.Contains("not known", await (await unknown.GetAsync("/v1/cluster")).AssertProblemAsync(401));
    }

    [Fact]
    public async Task Request_IsAuthenticated_ByTheXApiKeyHeader()
    {
        using var http = fixture.Client(null);
        http.DefaultRequestHeaders.Add("X-Api-Key", KeysFixture.BootstrapKey);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/cluster")).StatusCode);
    }

    private IEnumerable<RouteEndpoint> Endpoints() =>
        fixture.Factory.Services.GetServices<EndpointDataSource>().SelectMany(source => source.Endpoints).OfType<RouteEndpoint>();

    private static IEnumerable<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];

    /// <summary>The route with its parameters filled in: the matrix catalog, a product, image 0, a made-up id.</summary>
    private static string Path(RouteEndpoint endpoint)
    {
        var path = endpoint.RoutePattern.RawText!;
        foreach (var parameter in endpoint.RoutePattern.Parameters)
        {
            var value = parameter.Name switch
            {
                "catalog" => Catalog,
                "productId" => "p1",
                "n" => "0",
                _ => "nosuchid",
            };
            path = System.Text.RegularExpressions.Regex.Replace(path, $"{{{parameter.Name}(:[^}}]*)?}}", value);
        }

        return path.StartsWith('/') ? path : "/" + path;
    }
}
