using System.Net;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>The laptop default: the embedded gateway needs no key and says so at start.</summary>
public sealed class EmbeddedAccessTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task EmbeddedGateway_NeedsNoKey_ByDefault()
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/v1/cluster")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await fixture.Http.CreateCatalogAsync("open", new { shards = 1 })).StatusCode);
    }
}
