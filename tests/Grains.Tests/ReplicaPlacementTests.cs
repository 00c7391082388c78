using OutfitFinder.Grains.Cluster;

namespace OutfitFinder.Grains.Tests;

public sealed class ReplicaPlacementTests
{
    private static readonly string[] ThreeSilos = ["a", "b", "c"];

    /// <summary>Where every copy ends up: the writer, then each replica at its target or where it was.</summary>
    private static string?[] After(string? writer, string?[] replicas, IReadOnlyList<string?> plan) =>
        [writer, .. replicas.Select((silo, i) => plan[i] ?? silo)];

    [Fact]
    public void Plan_PutsEveryCopyOnItsOwnSilo_WhenThereAreEnoughSilos()
    {
        var replicas = new string?[] { null, null };

        var plan = ReplicaPlacement.Plan(ThreeSilos, "b", replicas);

        Assert.Equal(["a", "b", "c"], After("b", replicas, plan).Order());
    }

    [Fact]
    public void Plan_MovesAReplica_OffTheWritersSilo()
    {
        var plan = ReplicaPlacement.Plan(ThreeSilos, "a", ["a"]);

        Assert.NotNull(plan[0]);
        Assert.NotEqual("a", plan[0]);
    }

    [Fact]
    public void Plan_LeavesReplicasAlone_WhenEachIsAloneOnItsSilo()
    {
        var plan = ReplicaPlacement.Plan(ThreeSilos, "a", ["b", "c"]);

        Assert.All(plan, Assert.Null);
    }

    [Fact]
    public void Plan_SpreadsAsEvenlyAsPossible_WhenCopiesOutnumberSilos()
    {
        var replicas = new string?[] { "a", "a", null };

        var plan = ReplicaPlacement.Plan(["a", "b"], "a", replicas);

        var counts = After("a", replicas, plan).GroupBy(silo => silo).Select(group => group.Count()).ToList();
        Assert.Equal([2, 2], counts);
    }

    [Fact]
    public void Plan_MovesAReplica_OffASiloItMayNotUse()
    {
        var plan = ReplicaPlacement.Plan(["a", "b"], "a", ["gpu-1"]);

        Assert.Equal("b", plan[0]);
    }

    [Fact]
    public void Plan_RotatesTies_SoShardsOfOneCatalogUseDifferentSilos()
    {
        var targets = Enumerable.Range(0, 3).Select(seed => ReplicaPlacement.Plan(["a", "b", "c", "d"], null, [null], seed)[0]).ToList();

        Assert.Equal(3, targets.Distinct().Count());
    }

    [Fact]
    public void Plan_PlacesNothing_WhenNoSiloIsAllowed()
    {
        Assert.All(ReplicaPlacement.Plan([], "a", [null, "a"]), Assert.Null);
    }
}
