using Xunit.Abstractions;

namespace OutfitFinder.Cluster.Tests;

/// <summary>One search is one trace across real processes: the client-mode gateway and the silos.</summary>
public sealed class TracingTests(TracedCluster cluster, ITestOutputHelper output) : IClassFixture<TracedCluster>
{
    private const int Shards = 4;

    [SkippableFact]
    public async Task PhotoSearch_IsOneTrace_FromTheGatewayThroughTheExtractorAndEveryShard_AcrossProcesses()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        await Catalogs.CreateAsync(cluster.Http, "traced", Shards);
        for (var i = 0; i < 12; i++)
        {
            Assert.True(await Catalogs.PutProductAsync(cluster.Http, "traced", $"p{i}", 9000 + i));
        }

        using (var form = new MultipartFormDataContent { { new ByteArrayContent(Catalogs.Bmp(9003)), "image", "q.bmp" } })
        using (var response = await cluster.Http.PostAsync("/v1/catalogs/traced/search?k=3", form))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        // The search's trace: the one whose root is the gateway's POST .../search, once every shard span has arrived.
        List<ReceivedSpan> trace = [];
        var complete = await Catalogs.EventuallyAsync(TimeSpan.FromSeconds(30), () =>
        {
            var spans = cluster.Receiver.Spans;
            var root = spans.LastOrDefault(span => span.Service == "outfitfinder-gateway" && span.ParentSpanId.Length == 0
                && span.Name.Contains("search", StringComparison.Ordinal));
            trace = root is null ? [] : [.. spans.Where(span => span.TraceId == root.TraceId)];
            return Task.FromResult(trace.Count(span => span.Name == "shard search") == Shards && trace.Any(span => span.Name == "extractor model run"));
        });
        output.WriteLine(string.Join("\n", trace.Select(span => $"{span.Service} {span.Name} {span.SpanId} <- {span.ParentSpanId}")));

        Assert.True(complete, $"no complete trace among {cluster.Receiver.Spans.Count} spans received\n{cluster.Logs()}");
        Assert.Single(trace, span => span.ParentSpanId.Length == 0);
        // The model run and every shard search ran in silo processes, inside the gateway's trace.
        Assert.Equal("outfitfinder-silo", Assert.Single(trace, span => span.Name == "extractor model run").Service);
        Assert.All(trace.Where(span => span.Name == "shard search"), span => Assert.Equal("outfitfinder-silo", span.Service));
        // Every span but the root hangs off another span of the same trace: nothing was cut at a process boundary.
        Assert.All(trace.Where(span => span.ParentSpanId.Length > 0), span => Assert.Contains(trace, parent => parent.SpanId == span.ParentSpanId));
    }
}
