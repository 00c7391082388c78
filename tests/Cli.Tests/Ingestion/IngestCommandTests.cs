using System.Net;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Ingestion;

public sealed class IngestCommandTests : IDisposable
{
    private const string ShoesCatalog =
        """{"name":"shoes","model":"resnet18","metric":"cosine","dimension":512,"shards":4,"products":0,"images":0}""";

    private static readonly byte[] Front = [1, 1, 1];
    private static readonly byte[] Back = [2, 2];
    private static readonly byte[] Boot = [3];

    private readonly TempFolder _folder = new();

    public IngestCommandTests()
    {
        _folder.WriteBytes("images/front.jpg", Front);
        _folder.WriteBytes("images/back.png", Back);
        _folder.WriteBytes("images/boot.jpg", Boot);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Ingest_UploadsEachProductOnce_WithItsImagesInRowOrder()
    {
        var manifest = Manifest(
            "product_id,image,category,color,price,sku",
            "sku/42 a,images/front.jpg,Dress,red,19.90,00123",
            "boot-1,images/boot.jpg,,black,,",
            "sku/42 a,images/back.png,,,,");
        var gateway = new FakeGateway(request => request.Method == HttpMethod.Get
            ? FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog)
            : new HttpResponseMessage(request.PathAndQuery.Contains("boot") ? HttpStatusCode.OK : HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/v1/catalogs/shoes", gateway.Requests[0].PathAndQuery);
        var puts = gateway.Requests.Where(r => r.Method == HttpMethod.Put).OrderBy(r => r.PathAndQuery, StringComparer.Ordinal).ToList();
        Assert.Equal(["/v1/catalogs/shoes/products/boot-1", "/v1/catalogs/shoes/products/sku%2F42%20a"], puts.Select(r => r.PathAndQuery));

        var dress = await puts[1].ReadFormAsync();
        Assert.Equal(["image", "image", "category", "metadata"], dress.Select(p => p.Name));
        Assert.Equal(("front.jpg", "image/jpeg"), (dress[0].FileName, dress[0].ContentType));
        Assert.Equal(Front, dress[0].Content);
        Assert.Equal(("back.png", "image/png"), (dress[1].FileName, dress[1].ContentType));
        Assert.Equal(Back, dress[1].Content);
        Assert.Equal("Dress", dress[2].Text);
        Assert.Equal("""{"color":"red","price":19.90,"sku":"00123"}""", dress[3].Text);

        var boot = await puts[0].ReadFormAsync();
        Assert.Equal(["image", "metadata"], boot.Select(p => p.Name));
        Assert.Equal(Boot, boot[0].Content);
        Assert.Equal("""{"color":"black"}""", boot[1].Text);

        Assert.Contains("Uploading 2 products (3 images) to catalog shoes", result.Output);
        Assert.Contains("Uploaded 2/2 products\n", result.Output);
        Assert.Contains("Succeeded: 2 products (1 created, 1 replaced). Failed: 0 products. Bad rows: 0.", result.Output);
    }

    [Fact]
    public async Task Ingest_PutsProductsGivenAsVectors_AsJson_ReadingTheirVectorFiles()
    {
        _folder.WriteBytes("vectors/all.npy", VectorFiles.Npy([2, 3], [1, 2, 3, 4, 5, 6]));
        _folder.WriteBytes("vectors/one.f32", VectorFiles.Raw(7, 8, 9));
        _folder.WriteBytes("vectors/short.f32", VectorFiles.Raw(7, 8));
        var manifest = Manifest(
            "product_id,vector,vector_file,vector_row,category,price",
            "a,,vectors/all.npy,1,Dress,10",
            "a,,vectors/one.f32,,,",
            "b,0.5 0 -1,,,,",
            "c,,vectors/short.f32,,,");
        var gateway = new FakeGateway(request => request.Method == HttpMethod.Get
            ? FakeGateway.Json(HttpStatusCode.OK, """{"name":"shoes","model":"none","metric":"cosine","dimension":3,"shards":4,"products":0,"images":0}""")
            : new HttpResponseMessage(HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        var puts = gateway.Requests.Where(r => r.Method == HttpMethod.Put).OrderBy(r => r.PathAndQuery, StringComparer.Ordinal).ToList();
        Assert.Equal(["/v1/catalogs/shoes/products/a", "/v1/catalogs/shoes/products/b"], puts.Select(r => r.PathAndQuery));
        Assert.All(puts, put => Assert.StartsWith("application/json", put.ContentType));
        Assert.Equal("""{"vectors":[[4,5,6],[7,8,9]],"category":"Dress","metadata":{"price":10}}""", puts[0].BodyText);
        Assert.Equal("""{"vectors":[[0.5,0,-1]]}""", puts[1].BodyText);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Uploading 3 products (0 images, 4 vectors made elsewhere)", result.Output);
        Assert.Contains("product 'c' (row 5): vector file", result.Output);
        Assert.Contains("short.f32' is 8 bytes, not a whole number of 3-value float32 vectors", result.Output);
    }

    [Fact]
    public async Task Ingest_ReportsRejectedProductsAndExitsNonZero_WhileUploadingTheRest()
    {
        var manifest = Manifest(
            "product_id,image",
            "p1,images/front.jpg",
            "p2,images/back.png",
            "p3,images/boot.jpg");
        var gateway = new FakeGateway(request => request switch
        {
            { Method.Method: "GET" } => FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog),
            _ when request.PathAndQuery.EndsWith("/p2") => FakeGateway.Problem(
                HttpStatusCode.BadRequest, "Invalid image", "Image 0 could not be decoded."),
            _ => new HttpResponseMessage(HttpStatusCode.Created),
        });

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(3, gateway.Requests.Count(r => r.Method == HttpMethod.Put));
        Assert.Contains("Uploaded 3/3 products, 1 failed\n", result.Output);
        Assert.Contains("Succeeded: 2 products (2 created, 0 replaced). Failed: 1 products. Bad rows: 0.", result.Output);
        Assert.Contains(
            "Failures:\n  product 'p2' (row 3): Image 0 could not be decoded. (HTTP 400 Bad Request)\n", result.Output);
    }

    [Fact]
    public async Task Ingest_ReportsBadRowsWithTheirNumbers_AndUploadsTheGoodProducts()
    {
        var manifest = Manifest(
            "product_id,image,category",
            "p1,images/front.jpg,Dress",
            ",images/back.png,Dress",
            "p2,images/missing.jpg,Boot",
            "p2,images/boot.jpg,Boot");
        var gateway = new FakeGateway(request => request.Method == HttpMethod.Get
            ? FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog)
            : new HttpResponseMessage(HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(1, result.ExitCode);
        var put = Assert.Single(gateway.Requests, r => r.Method == HttpMethod.Put);
        Assert.Equal("/v1/catalogs/shoes/products/p1", put.PathAndQuery);
        Assert.Contains("warning: row 3: 'product_id' is empty\n", result.Output);
        Assert.Contains("warning: row 4 (product 'p2'): image 'images/missing.jpg' not found", result.Output);
        Assert.Contains("Succeeded: 1 products (1 created, 0 replaced). Failed: 1 products. Bad rows: 2.", result.Output);
        Assert.Contains("  product 'p2' (rows 4, 5): not uploaded, bad row 4\n", result.Output);
    }

    [Fact]
    public async Task Ingest_FailsBeforeAnyRequest_WhenTheManifestLacksAColumn()
    {
        var manifest = Manifest("sku,image", "p1,images/front.jpg");
        var gateway = new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing the required column 'product_id'", result.Output);
        Assert.Empty(gateway.Requests);
    }

    [Fact]
    public async Task Ingest_StopsBeforeUploading_WhenTheCatalogDoesNotExist()
    {
        var manifest = Manifest("product_id,image", "p1,images/front.jpg");
        var gateway = new FakeGateway(_ => FakeGateway.Problem(HttpStatusCode.NotFound, "Not found", "No catalog 'shoes'."));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: No catalog 'shoes'. (HTTP 404 Not Found)\n", result.Output);
        Assert.Equal([HttpMethod.Get], gateway.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Ingest_SaysTheGatewayIsNotReachable_WhenTheConnectionIsRefused()
    {
        var manifest = Manifest("product_id,image", "p1,images/front.jpg");

        var result = await CliHarness.RunAsync(FakeGateway.Refusing(), "ingest", "--catalog", "shoes", "--manifest", manifest);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Gateway not reachable at http://localhost:5080/", result.Output);
    }

    [Fact]
    public async Task Ingest_StopsTheRun_WhenTheGatewayGoesAwayMidway()
    {
        var manifest = Manifest("product_id,image", "p1,images/front.jpg", "p2,images/back.png", "p3,images/boot.jpg");
        var gateway = new FakeGateway(request => request.Method == HttpMethod.Get
            ? FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog)
            : throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (localhost:5080)"));

        var result = await CliHarness.RunAsync(
            gateway, "ingest", "--catalog", "shoes", "--manifest", manifest, "--parallel", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Single(gateway.Requests, r => r.Method == HttpMethod.Put);
        Assert.Contains("error: Gateway not reachable at http://localhost:5080/", result.Output);
    }

    [Fact]
    public async Task Ingest_UploadsAtMostParallelProductsAtOnce()
    {
        var manifest = Manifest(
            "product_id,image",
            [.. Enumerable.Range(1, 8).Select(i => $"p{i},images/front.jpg")]);
        var inFlight = 0;
        var maxInFlight = 0;
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gateway = new FakeGateway(async request =>
        {
            if (request.Method == HttpMethod.Get)
            {
                return FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog);
            }

            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            if (now == 2)
            {
                secondArrived.TrySetResult();
            }

            // Hold the first upload until a second one is in flight, proving the two overlap.
            await secondArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(20);
            Interlocked.Decrement(ref inFlight);
            return new HttpResponseMessage(HttpStatusCode.Created);
        });

        var result = await CliHarness.RunAsync(
            gateway, "ingest", "--catalog", "shoes", "--manifest", manifest, "--parallel", "2");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(8, gateway.Requests.Count(r => r.Method == HttpMethod.Put));
        Assert.Equal(2, maxInFlight);
    }

    [Fact]
    public async Task Ingest_PrintsAProgressLineEveryTwentiethOfTheProducts_WhenNotATerminal()
    {
        var manifest = Manifest(
            "product_id,image",
            [.. Enumerable.Range(1, 40).Select(i => $"p{i},images/front.jpg")]);
        var gateway = new FakeGateway(request => request.Method == HttpMethod.Get
            ? FakeGateway.Json(HttpStatusCode.OK, ShoesCatalog)
            : new HttpResponseMessage(HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest);

        var progress = result.Output.Split('\n').Where(l => l.StartsWith("Uploaded ", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"Uploaded {i * 2}/40 products"), progress);
    }

    [Fact]
    public async Task Ingest_RejectsParallelOutOfRange_WithoutCallingTheGateway()
    {
        var manifest = Manifest("product_id,image", "p1,images/front.jpg");
        var gateway = new FakeGateway(_ => new HttpResponseMessage(HttpStatusCode.Created));

        var result = await CliHarness.RunAsync(gateway, "ingest", "--catalog", "shoes", "--manifest", manifest, "--parallel", "0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--parallel must be between 1 and 64.", result.Output);
        Assert.Empty(gateway.Requests);
    }

    private string Manifest(string header, params string[] rows) =>
        _folder.WriteText("manifest.csv", string.Join("\n", [header, .. rows]) + "\n");

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
