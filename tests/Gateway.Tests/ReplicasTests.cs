using System.Net;
using System.Net.Http.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary><c>"replicas"</c> on a catalog, in the embedded one-silo gateway: accepted, changed live, and answering searches.</summary>
public sealed class ReplicasTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Http => fixture.Http;

    private static byte[] Jpeg(GarmentSpec spec)
    {
        using var bitmap = GarmentImages.Draw(spec);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public async Task CreateCatalog_Returns400_WhenReplicasIsOutOfRange(int replicas)
    {
        var response = await Http.CreateCatalogAsync($"replicas-bad-{replicas}", new { model = "whitebox", shards = 1, replicas });

        var detail = await response.AssertProblemAsync(400);
        Assert.Contains("replicas", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_AnswersWholeFromReplicas_AfterReplicasAreRaisedOnALiveCatalog()
    {
        const string catalog = "replicated";
        var created = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2 });
        Assert.Equal(1, (await created.Content.ReadFromJsonAsync<CatalogBody>(Api.Json))!.Replicas);
        var products = GarmentCatalog.Generate(4, seed: 31);
        foreach (var (id, spec) in products)
        {
            (await Http.PutProductAsync(catalog, id, [Jpeg(spec)], spec.Category)).EnsureSuccessStatusCode();
        }

        var raised = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2, replicas = 3 });

        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        Assert.Equal(3, (await raised.Content.ReadFromJsonAsync<CatalogBody>(Api.Json))!.Replicas);
        Assert.Equal(3, (await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json))!.Replicas);
        var (queryId, querySpec) = products[1];
        var answers = new List<SearchBody>();
        for (var i = 0; i < 9; i++)
        {
            answers.Add(await (await Http.SearchByImageAsync(catalog, Jpeg(querySpec), "k=10")).ReadSearchAsync());
        }

        Assert.All(answers, answer =>
        {
            Assert.False(answer.Partial);
            Assert.Equal(4, answer.Results.Count);
            Assert.Equal(queryId, answer.Results[0].ProductId);
        });
        // Copies take turns: some answers came through a read replica, and say so.
        Assert.Contains(answers, answer => answer.Stale);
        Assert.Contains(answers, answer => !answer.Stale);
    }

    [Fact]
    public async Task CreateCatalog_Returns409_WhenShardsChangeAlongWithReplicas()
    {
        const string catalog = "replicas-conflict";
        (await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 2 })).EnsureSuccessStatusCode();

        var response = await Http.CreateCatalogAsync(catalog, new { model = "whitebox", shards = 3, replicas = 2 });

        var detail = await response.AssertProblemAsync(409);
        Assert.Contains("only replicas may change", detail, StringComparison.Ordinal);
        Assert.Equal(1, (await Http.GetFromJsonAsync<CatalogBody>($"/v1/catalogs/{catalog}", Api.Json))!.Replicas);
    }
}
