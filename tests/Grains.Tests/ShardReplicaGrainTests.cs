using System.Diagnostics;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Grains.Tests;

public sealed class ShardReplicaGrainTests
{
    private static float[] UnitVector(int seed)
    {
        var random = new Random(seed);
        var vector = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }

    private static ProductUpsert Product(string id, int seed) =>
        new(id, "Dress", null, 1, PackedVectors.Pack(UnitVector(seed)));

    [Fact]
    public async Task Replica_AnswersAsItsWriter_AfterWritesAcrossCompactions()
    {
        // A ~2 KiB record and a 4000-byte log: the writer compacts every couple of writes, so the replica must follow
        // the log from generation to generation.
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(),
            settings: new Dictionary<string, string?> { ["Storage:Compaction:LogBytes"] = "4000" });
        await cluster.Client.GetGrain<ICatalogGrain>("mirrored").CreateAsync(new CatalogSpec("resnet18", "cosine", 1, Replicas: 2));
        var writer = cluster.Client.GetGrain<ICatalogShardGrain>(ShardKeys.For("mirrored", 0));
        var replica = cluster.Client.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica("mirrored", 0, 1));
        for (var i = 0; i < 10; i++)
        {
            await writer.UpsertAsync(Product($"p{i}", i));
        }

        await writer.DeleteAsync("p3");
        var query = new ShardQuery(UnitVector(3), 5, null);
        var expected = (await writer.SearchAsync(query)).Select(hit => hit.ProductId).ToList();

        ShardReplicaAnswer answer;
        var clock = Stopwatch.StartNew();
        do
        {
            answer = await replica.SearchAsync(query);
        }
        while (!answer.Hits.Select(hit => hit.ProductId).SequenceEqual(expected) && clock.Elapsed < TimeSpan.FromSeconds(15) && await Delay());

        Assert.Equal(expected, answer.Hits.Select(hit => hit.ProductId));
        Assert.DoesNotContain("p3", answer.Hits.Select(hit => hit.ProductId));
        Assert.True(answer.LagMs >= 0);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }
}
