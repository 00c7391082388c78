using System.Net.Http.Json;

namespace OutfitFinder.Gateway.Tests;

public sealed class CatalogListTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Http => fixture.Http;

    private sealed record ListBody(List<CatalogBody> Catalogs, string? Next);

    [Fact]
    public async Task ListCatalogs_PagesThroughEveryCatalogInNameOrder_WithTheirCounts()
    {
        // Created out of order; "a-b" sorts after "a" by name though "a-b.json" would sort before "a.json".
        string[] names = ["list-b", "list-a-b", "list-c", "list-a", "list-0"];
        foreach (var name in names)
        {
            (await Http.CreateCatalogAsync(name, new { shards = 2, metric = "l2" })).EnsureSuccessStatusCode();
        }

        var seen = new List<CatalogBody>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = (await Http.GetFromJsonAsync<ListBody>($"/v1/catalogs?limit=2&after={after}", Api.Json))!;
            Assert.InRange(page.Catalogs.Count, 1, 2);
            seen.AddRange(page.Catalogs);
            after = page.Next;
            pages++;
        }
        while (after is not null && pages < 10);

        Assert.Equal(names.Order(StringComparer.Ordinal), seen.Select(c => c.Name));
        Assert.Equal(3, pages);
        Assert.All(seen, c => Assert.Equal(("resnet18-rmac-street", "l2", 2, 0L, 0L), (c.Model, c.Metric, c.Shards, c.Products, c.Images)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task ListCatalogs_Returns400_ForALimitOutOfRange(int limit)
    {
        Assert.Contains("limit", await (await Http.GetAsync($"/v1/catalogs?limit={limit}")).AssertProblemAsync(400));
    }
}
