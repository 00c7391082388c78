using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace OutfitFinder.Cluster.Tests;

/// <summary>
/// Read replicas on real processes: three silos, a catalog whose replica count is raised from 1 to 2 while it is live,
/// then <c>kill -9</c> of a silo during a loop of searches.
/// </summary>
public sealed class ReplicaTests(RedisCluster cluster, ITestOutputHelper output) : IClassFixture<RedisCluster>
{
    private const string Catalog = "replicated";
    private const int Shards = 3;
    private static readonly TimeSpan PlacementLimit = TimeSpan.FromSeconds(60);

    /// <summary>The whitebox model's dimension.</summary>
    private const int Dimension = 1860;

    private sealed record Answer(bool Ok, bool Partial, bool Stale, double LagMs, IReadOnlyList<string> Ids, double StartedAfterAckMs);

    [SkippableFact]
    public async Task KillNine_DuringSearches_GivesNoFailedOrPartialAnswer_WithTwoReplicasRaisedLive()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        await Catalogs.CreateAsync(cluster.Http, Catalog, Shards);
        for (var i = 0; i < 12; i++)
        {
            Assert.True(await Catalogs.PutProductAsync(cluster.Http, Catalog, $"p{i}", 2000 + i));
        }

        // Raising the count on the live catalog adds a replica per shard, each on a silo apart from its writer.
        using (var raised = await cluster.Http.PutAsJsonAsync($"/v1/catalogs/{Catalog}", new { model = "whitebox", shards = Shards, replicas = 2 }))
        {
            Assert.True(raised.IsSuccessStatusCode, $"raising replicas: {raised.StatusCode}");
        }

        var apart = await Catalogs.EventuallyAsync(PlacementLimit, async () => PlacedApart(await cluster.SilosAsync()));
        Assert.True(apart, $"replicas not placed apart from their writers: {JsonSerializer.Serialize(await cluster.SilosAsync())}\n{cluster.Logs()}");

        // A write acknowledged just before the kill.
        Assert.True(await Catalogs.PutProductAsync(cluster.Http, Catalog, "last", 2999));
        var acknowledged = Stopwatch.StartNew();
        var lastVector = await VectorOfAsync("last");

        var silos = await cluster.SilosAsync();
        var victim = silos.MaxBy(silo => silo.Shards.Count(IsOurs) + (silo.Replicas ?? []).Count(IsOurs))!;
        output.WriteLine($"placement: {string.Join("; ", silos.Select(s => $"{s.Address}: {string.Join(",", s.Shards.Concat(s.Replicas ?? []).Where(IsOurs))}"))}");

        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, 2).Select(_ => SearchLoopAsync(lastVector, acknowledged, stop.Token)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Process.GetProcessById(cluster.PidOf(victim.Address)).Kill();
        output.WriteLine($"killed {victim.Address}");
        await Task.Delay(TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        var answers = (await Task.WhenAll(loops)).SelectMany(list => list).ToList();

        var failed = answers.Count(answer => !answer.Ok);
        var partial = answers.Count(answer => answer.Ok && answer.Partial);
        output.WriteLine($"{answers.Count} searches: {failed} failed, {partial} partial, {answers.Count(a => a.Stale)} from a replica, "
            + $"largest lag {answers.Where(a => a.Ok).Max(a => a.LagMs):F0} ms");
        if (failed + partial > 0)
        {
            output.WriteLine(cluster.GatewayLogLines("gave no answer", following: 1));
        }

        Assert.Equal(0, failed);
        Assert.Equal(0, partial);
        // Every answer whose lag is shorter than the time since the write was acknowledged holds it, and the search
        // after catch-up does.
        Assert.All(answers.Where(a => a.Ok && (!a.Stale || a.LagMs < a.StartedAfterAckMs)), answer => Assert.Contains("last", answer.Ids));
        Assert.Contains("last", answers[^1].Ids);
    }

    private static bool IsOurs(string key) => key.StartsWith($"{Catalog}/", StringComparison.Ordinal);

    /// <summary>
    /// Every shard has its writer and one replica running, on two different silos, and the writers are spread evenly
    /// (so the balancer has no move left that could put a writer beside its replica).
    /// </summary>
    private static bool PlacedApart(IReadOnlyList<SiloJson> silos)
    {
        var writers = silos.Where(s => s.Status == "Active").Select(s => s.Shards.Count(IsOurs)).ToList();
        if (writers.Max() - writers.Min() > 1)
        {
            return false;
        }

        for (var shard = 0; shard < Shards; shard++)
        {
            var writer = silos.Where(s => s.Shards.Contains($"{Catalog}/{shard}")).Select(s => s.Address).ToList();
            var replica = silos.Where(s => (s.Replicas ?? []).Contains($"{Catalog}/{shard}/1")).Select(s => s.Address).ToList();
            if (writer.Count != 1 || replica.Count != 1 || writer[0] == replica[0])
            {
                return false;
            }
        }

        return true;
    }

    private async Task<float[]> VectorOfAsync(string productId)
    {
        var body = await cluster.Http.GetFromJsonAsync<JsonElement>($"/v1/catalogs/{Catalog}/vectors?max=100");
        return body.GetProperty("products").EnumerateArray()
            .Single(product => product.GetProperty("productId").GetString() == productId)
            .GetProperty("vector").EnumerateArray().Select(value => value.GetSingle()).ToArray();
    }

    private async Task<List<Answer>> SearchLoopAsync(float[] vector, Stopwatch acknowledged, CancellationToken stop)
    {
        var answers = new List<Answer>();
        // Paced below the admin key's search allowance (50 a second over both loops), so every answer is the cluster's.
        for (; !stop.IsCancellationRequested; await Task.Delay(TimeSpan.FromMilliseconds(60), CancellationToken.None))
        {
            var startedAfterAck = acknowledged.Elapsed.TotalMilliseconds;
            try
            {
                using var response = await cluster.Http.PostAsJsonAsync($"/v1/catalogs/{Catalog}/search", new { vector, k = 5 }, CancellationToken.None);
                if (!response.IsSuccessStatusCode)
                {
                    output.WriteLine($"search failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    answers.Add(new Answer(false, false, false, 0, [], startedAfterAck));
                    continue;
                }

                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                answers.Add(new Answer(true, body.GetProperty("partial").GetBoolean(), body.GetProperty("stale").GetBoolean(),
                    body.GetProperty("lagMs").GetDouble(),
                    [.. body.GetProperty("results").EnumerateArray().Select(hit => hit.GetProperty("productId").GetString()!)], startedAfterAck));
            }
            catch (HttpRequestException exception)
            {
                output.WriteLine($"search failed: {exception.Message}");
                answers.Add(new Answer(false, false, false, 0, [], startedAfterAck));
            }
        }

        return answers;
    }
}
