using Xunit.Abstractions;

namespace OutfitFinder.Cluster.Tests;

/// <summary>A silo that joins a running cluster takes its share of the shards.</summary>
public sealed class JoinTests(GrowingCluster cluster, ITestOutputHelper output) : IClassFixture<GrowingCluster>
{
    [SkippableFact]
    public async Task Join_MovesShardsToTheNewSilo_UntilTheSpreadIsEven_WithoutLosingProducts()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        await Catalogs.CreateAsync(cluster.Http, "growing", shards: 6);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(await Catalogs.PutProductAsync(cluster.Http, "growing", $"p{i}", 7000 + i));
        }

        Assert.True(await Catalogs.SearchIsCompleteAsync(cluster.Http, "growing"));
        var joined = await cluster.JoinAsync();

        // The balancer runs every few seconds in the tests' settings; 6 shards over 3 silos is 2 each.
        var even = await Catalogs.EventuallyAsync(TimeSpan.FromSeconds(90), async () =>
        {
            var silos = await cluster.SilosAsync();
            return silos.Count(silo => silo.Status == "Active") == 3
                && silos.Where(silo => silo.Status == "Active").All(silo => silo.Shards.Count(shard => shard.StartsWith("growing/", StringComparison.Ordinal)) == 2);
        });
        var after = await cluster.SilosAsync();
        output.WriteLine(string.Join("\n", after.Select(silo => $"{silo.Address} {silo.Status} {string.Join(' ', silo.Shards)}")));

        Assert.True(even, $"shards not spread evenly after {joined} joined\n{cluster.Logs()}");
        Assert.Equal(2, Assert.Single(after, silo => silo.Address == joined).Shards.Count);
        Assert.True(await Catalogs.SearchIsCompleteAsync(cluster.Http, "growing"));
        Assert.Equal(30, after.Sum(silo => silo.Vectors));
    }
}
