using System.Net;
using System.Text;
using OutfitFinder.Cli.Http;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Http;

public sealed class GatewayClientTests
{
    [Fact]
    public async Task GetCatalogAsync_KeepsThePathPrefix_OfTheGatewayUrl()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(
            HttpStatusCode.OK, """{"name":"a","model":"m","metric":"cosine","dimension":4,"shards":1,"products":2,"images":3}"""));
        var client = new GatewayClient(gateway.CreateClient(), new Uri("http://proxy.local/outfit"));

        var catalog = await client.GetCatalogAsync("a", CancellationToken.None);

        Assert.Equal("http://proxy.local/outfit/v1/catalogs/a", Assert.Single(gateway.Requests).Uri.AbsoluteUri);
        Assert.Equal(new CatalogInfo("a", "m", "cosine", 4, 1, 2, 3), catalog);
    }

    [Fact]
    public async Task GetCatalogAsync_ReportsTheStatus_WhenTheErrorHasNoBody()
    {
        var client = new GatewayClient(
            new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)).CreateClient(),
            GatewayCommand.DefaultGateway);

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.GetCatalogAsync("a", CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Status);
        Assert.Equal("The gateway gave no reason. (HTTP 503 Service Unavailable)", error.Describe());
    }

    [Fact]
    public async Task GetCatalogAsync_ShowsAPlainTextError_FromAProxy()
    {
        var client = new GatewayClient(
            new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.BadGateway)
            {
                Content = new StringContent("upstream connect error\n", Encoding.UTF8, "text/plain"),
            }).CreateClient(),
            GatewayCommand.DefaultGateway);

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.GetCatalogAsync("a", CancellationToken.None));

        Assert.Equal("upstream connect error (HTTP 502 Bad Gateway)", error.Describe());
    }

    [Fact]
    public async Task GetCatalogAsync_ReportsAnUnreadableBody_AsAGatewayError()
    {
        var client = new GatewayClient(
            new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, "<html>")).CreateClient(),
            GatewayCommand.DefaultGateway);

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.GetCatalogAsync("a", CancellationToken.None));

        Assert.StartsWith("The gateway's response could not be read:", error.Message);
    }

    [Fact]
    public async Task GetCatalogAsync_ReportsATimeout_AsAGatewayError()
    {
        var gateway = new FakeGateway(async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30));
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var http = new HttpClient(gateway) { Timeout = TimeSpan.FromMilliseconds(50) };
        var client = new GatewayClient(http, GatewayCommand.DefaultGateway);

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.GetCatalogAsync("a", CancellationToken.None));

        Assert.Null(error.Status);
        Assert.Equal("The gateway did not answer within 0.05 s.", error.Message);
    }

    [Fact]
    public async Task PutProductAsync_OmitsCategoryAndMetadata_WhenTheProductHasNone()
    {
        using var folder = new TempFolder();
        var image = folder.WriteBytes("x.webp", [9, 8]);
        var gateway = new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.OK));
        var client = new GatewayClient(gateway.CreateClient(), GatewayCommand.DefaultGateway);

        var outcome = await client.PutProductAsync(
            "shoes", new ProductUpload("p 1", null, new Dictionary<string, System.Text.Json.JsonElement>(), [image]), CancellationToken.None);

        Assert.Equal(PutOutcome.Existed, outcome);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal("/v1/catalogs/shoes/products/p%201", request.PathAndQuery);
        var part = Assert.Single(await request.ReadFormAsync());
        Assert.Equal(("image", "x.webp", "image/webp"), (part.Name, part.FileName, part.ContentType));
        Assert.Equal([9, 8], part.Content);
    }
}
