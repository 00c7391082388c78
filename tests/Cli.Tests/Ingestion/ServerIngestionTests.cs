using System.Net;
using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.Ingestion;

/// <summary><c>outfit ingest --source</c> and <c>--attach</c>: start a server-side job and follow it, through a gateway restart.</summary>
public sealed class ServerIngestionTests
{
    private static string Job(string state, long done, long failed = 0, string failures = "[]") =>
        $$"""
        {"id":"job-1","catalog":"shop","source":"bucket","manifest":"spring.csv","state":"{{state}}","total":10,
         "succeeded":{{done - failed}},"failed":{{failed}},"skipped":0,"imagesPerSecond":12.5,"etaSeconds":3,
         "failures":{{failures}},"failuresNotListed":0,"resumes":0,"error":null}
        """;

    [Fact]
    public async Task Ingest_WithSource_StartsTheJob_AndReattachesAfterTheGatewayComesBack()
    {
        var polls = 0;
        var gateway = new FakeGateway(request =>
        {
            if (request.Method == HttpMethod.Post)
            {
                return FakeGateway.Json(HttpStatusCode.Accepted, Job("running", 0));
            }

            return Interlocked.Increment(ref polls) switch
            {
                1 => FakeGateway.Json(HttpStatusCode.OK, Job("running", 5)),
                2 or 3 => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"),
                _ => FakeGateway.Json(HttpStatusCode.OK, Job("completedWithErrors", 10, failed: 1,
                    failures: """[{"row":4,"productId":"sku-3","image":"img/3.jpg","reason":"image 'img/3.jpg' not found in source 'bucket'"}]""")),
            };
        });

        var result = await CliHarness.RunPollingAsync(gateway, "ingest", "--catalog", "shop", "--source", "bucket", "--manifest", "spring.csv", "--id", "job-1");

        Assert.Equal(1, result.ExitCode);
        var start = gateway.Requests[0];
        Assert.Equal("/v1/catalogs/shop/ingestions", start.PathAndQuery);
        Assert.Equal("""{"source":"bucket","manifest":"spring.csv","id":"job-1"}""", start.BodyText);
        Assert.All(gateway.Requests.Skip(1), request => Assert.Equal("/v1/catalogs/shop/ingestions/job-1", request.PathAndQuery));
        Assert.Contains("waiting to re-attach to job job-1", result.Output);
        Assert.Contains("re-attached to the job", result.Output);
        Assert.Contains("row 4 (product 'sku-3'): image 'img/3.jpg' not found in source 'bucket'", result.Output);
        Assert.Contains("9 of 10 rows stored, 1 failed, 0 skipped: completed with errors", result.Output);
    }

    [Fact]
    public async Task Ingest_Attach_LeadsWithNothingStoredAndFails_WhenEveryRowFailed()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, Job("failed", 10, failed: 10)));

        var result = await CliHarness.RunPollingAsync(gateway, "ingest", "--catalog", "shop", "--attach", "job-1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("0 of 10 rows stored, 10 failed, 0 skipped: failed", result.Output);
    }

    [Fact]
    public async Task Ingest_Attach_FollowsAnExistingJob_AndSucceedsWhenEveryRowWasStored()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Json(HttpStatusCode.OK, Job("succeeded", 10)));

        var result = await CliHarness.RunPollingAsync(gateway, "ingest", "--catalog", "shop", "--attach", "job-1");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(HttpMethod.Get, Assert.Single(gateway.Requests).Method);
        Assert.Contains("Attached to ingestion job-1", result.Output);
    }

    [Fact]
    public async Task Ingest_Attach_ReportsTheGatewaysReason_WhenTheJobIsUnknown()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Problem(HttpStatusCode.NotFound, "Ingestion not found", "Catalog 'shop' has no ingestion job 'nope'."));

        var result = await CliHarness.RunPollingAsync(gateway, "ingest", "--catalog", "shop", "--attach", "nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no ingestion job 'nope'", result.Output);
    }

    [Theory]
    [InlineData("--attach follows an existing job", "--attach", "j", "--source", "bucket")]
    [InlineData("--manifest is required", "--source", "bucket")]
    [InlineData("File does not exist", "--manifest", "no-such-manifest.csv")]
    public async Task Ingest_RefusesContradictoryOptions_WithoutCallingTheGateway(string message, params string[] options)
    {
        var gateway = FakeGateway.Refusing();

        var result = await CliHarness.RunPollingAsync(gateway, ["ingest", "--catalog", "shop", .. options]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Output);
        Assert.Empty(gateway.Requests);
    }
}
