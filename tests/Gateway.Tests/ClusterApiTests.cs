using System.Net.Http.Json;

namespace OutfitFinder.Gateway.Tests;

/// <summary><c>GET /v1/cluster</c> on the embedded one-process cluster.</summary>
public sealed class ClusterApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Cluster_ListsTheEmbeddedSilo_ActiveWithoutGpu_AndTheShardsItHosts()
    {
        Assert.True((await fixture.Http.CreateCatalogAsync("cluster-view", new { model = "whitebox", shards = 2 })).IsSuccessStatusCode);
        // A search reaches every shard, so both are active.
        Assert.True((await fixture.Http.SearchByVectorAsync("cluster-view", new float[1860], k: 1)).IsSuccessStatusCode);

        var body = (await fixture.Http.GetFromJsonAsync<ClusterBody>("/v1/cluster", Api.Json))!;

        var silo = Assert.Single(body.Silos);
        Assert.Equal(("Active", false), (silo.Status, silo.Gpu));
        Assert.Equal(["cluster-view/0", "cluster-view/1"], silo.Shards.Where(shard => shard.StartsWith("cluster-view/", StringComparison.Ordinal)));
        Assert.StartsWith("127.0.0.1:", silo.Address);
    }

    private sealed record ClusterBody(IReadOnlyList<SiloBody> Silos);

    private sealed record SiloBody(string Address, bool Gpu, string Status, IReadOnlyList<string> Shards, long Vectors, int Extractors);
}
