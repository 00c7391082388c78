using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

// Each class starts a cluster of real processes; two at once would only starve a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OutfitFinder.Cluster.Tests;

/// <summary>What every cluster test does to a catalog through the gateway.</summary>
internal static class Catalogs
{
    public static async Task CreateAsync(HttpClient http, string catalog, int shards)
    {
        using var response = await http.PutAsJsonAsync($"/v1/catalogs/{catalog}", new { model = "whitebox", shards, localise = "none" });
        Assert.True(response.IsSuccessStatusCode, $"creating {catalog}: {response.StatusCode}");
    }

    /// <summary>Writes a product with one small image; true when the gateway acknowledged it.</summary>
    public static async Task<bool> PutProductAsync(HttpClient http, string catalog, string id, int seed)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Bmp(seed)), "image", "p.bmp" } };
        using var response = await http.PutAsync($"/v1/catalogs/{catalog}/products/{id}", form);
        return response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK;
    }

    /// <summary>A search by vector that every shard answers; true when none was missing.</summary>
    public static async Task<bool> SearchIsCompleteAsync(HttpClient http, string catalog)
    {
        using var response = await http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector = Enumerable.Repeat(1f, 1860).ToArray(), k = 5 });
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return !body.RootElement.GetProperty("partial").GetBoolean();
    }

    /// <summary>A 32×32 BMP of noise that follows from <paramref name="seed"/>, so products differ.</summary>
    public static byte[] Bmp(int seed) => OutfitFinder.TestSupport.NoiseBitmaps.Bmp(seed);

    /// <summary>Polls until <paramref name="condition"/> holds; false when <paramref name="limit"/> passes first.</summary>
    public static async Task<bool> EventuallyAsync(TimeSpan limit, Func<Task<bool>> condition)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < limit; await Task.Delay(500))
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
        }

        return false;
    }
}

public sealed class RedisClusterTests(RedisCluster cluster, ITestOutputHelper output) : IClassFixture<RedisCluster>
{
    [SkippableFact]
    public async Task Cluster_FormsWithEverySiloActive_OnRedis()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);

        var silos = await cluster.SilosAsync();

        Assert.Equal(3, silos.Count(silo => silo.Status == "Active"));
        Assert.All(silos, silo => Assert.False(silo.Gpu));
    }

    [SkippableFact]
    public async Task Shards_SpreadOverSeveralSilos_WhenACatalogHasEight()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        await Catalogs.CreateAsync(cluster.Http, "spread", shards: 8);
        for (var i = 0; i < 24; i++)
        {
            Assert.True(await Catalogs.PutProductAsync(cluster.Http, "spread", $"p{i}", i));
        }

        // A search reaches every shard, so all eight are active somewhere.
        Assert.True(await Catalogs.SearchIsCompleteAsync(cluster.Http, "spread"));
        var silos = await cluster.SilosAsync();
        var hosting = silos.Where(silo => silo.Shards.Any(shard => shard.StartsWith("spread/", StringComparison.Ordinal))).ToList();
        output.WriteLine($"shards per silo: {string.Join(", ", silos.Select(silo => $"{silo.Address}={silo.Shards.Count}"))}");

        Assert.Equal(8, hosting.Sum(silo => silo.Shards.Count(shard => shard.StartsWith("spread/", StringComparison.Ordinal))));
        Assert.True(hosting.Count >= 2, $"all shards on one silo: {JsonSerializer.Serialize(silos)}");
        Assert.Equal(24, silos.Sum(silo => silo.Vectors));
        Assert.True(silos.Sum(silo => silo.Bytes) >= 24 * 1860 * sizeof(float), $"bytes below the vectors' own size: {JsonSerializer.Serialize(silos)}");

        // The balancer evens the spread out: 8 shards over 3 silos is 3, 3 and 2.
        var even = await Catalogs.EventuallyAsync(TimeSpan.FromSeconds(60), async () =>
        {
            var counts = (await cluster.SilosAsync()).Select(silo => silo.Shards.Count(shard => shard.StartsWith("spread/", StringComparison.Ordinal))).ToList();
            return counts.Sum() == 8 && counts.Max() - counts.Min() <= 1;
        });
        Assert.True(even, $"spread not even: {JsonSerializer.Serialize(await cluster.SilosAsync())}");
    }
}

public sealed class FailoverTests(RedisCluster cluster, ITestOutputHelper output) : IClassFixture<RedisCluster>
{
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task KillNine_LosesNoAcknowledgedWrite_AndEveryShardAnswersAgain()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        await Catalogs.CreateAsync(cluster.Http, "failover", shards: 8);
        var acknowledged = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            if (await Catalogs.PutProductAsync(cluster.Http, "failover", $"p{i}", 1000 + i))
            {
                acknowledged.Add($"p{i}");
            }
        }

        Assert.True(await Catalogs.SearchIsCompleteAsync(cluster.Http, "failover"));
        var victim = (await cluster.SilosAsync()).MaxBy(silo => silo.Shards.Count)!;
        Assert.NotEmpty(victim.Shards);

        Process.GetProcessById(cluster.PidOf(victim.Address)).Kill();
        var clock = Stopwatch.StartNew();
        var answering = await Catalogs.EventuallyAsync(RecoveryLimit, () => Catalogs.SearchIsCompleteAsync(cluster.Http, "failover"));
        var recovery = clock.Elapsed;
        output.WriteLine($"killed {victim.Address} holding {victim.Shards.Count} shards; every shard answered again after {recovery.TotalSeconds:F1} s");

        Assert.True(answering, $"some shard still did not answer {RecoveryLimit} after the kill\n{cluster.Logs()}");
        var lost = new List<string>();
        foreach (var id in acknowledged)
        {
            if (!await Catalogs.EventuallyAsync(TimeSpan.FromSeconds(30), async () =>
                (await cluster.Http.GetAsync($"/v1/catalogs/failover/products/{id}")).StatusCode == HttpStatusCode.OK))
            {
                lost.Add(id);
            }
        }

        Assert.Equal(40, acknowledged.Count);
        Assert.Empty(lost);
        Assert.True(recovery < RecoveryLimit, $"recovered in {recovery}");
    }
}

public sealed class AzureStorageClusterTests(AzureStorageCluster cluster) : IClassFixture<AzureStorageCluster>
{
    [SkippableFact]
    public async Task Cluster_FormsWithEverySiloActive_OnAzureStorage()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);

        var silos = await cluster.SilosAsync();

        Assert.Equal(3, silos.Count(silo => silo.Status == "Active"));
    }
}
