using OutfitFinder.Grains.Cluster;

namespace OutfitFinder.Grains.Tests;

public sealed class ShardSpreadTests
{
    [Fact]
    public void Plan_MovesShardsToAJoinedSilo_UntilEachCatalogIsEven()
    {
        var placement = Placement(("a", Shards("c", 0, 1, 2)), ("b", Shards("c", 3, 4, 5)));

        var moves = ShardSpread.Plan(["a", "b", "new"], placement, maxMoves: 10);

        Assert.Equal(2, moves.Count);
        Assert.All(moves, move => Assert.Equal("new", move.To));
        Assert.Equal([2, 2, 2], Counts(Apply(placement, moves), ["a", "b", "new"], "c"));
    }

    [Fact]
    public void Plan_MovesStrandedShardsFirst_ToTheAllowedSilosWithFewest()
    {
        // "gpu" is not allowed to hold shards (a CPU silo is up); its shards go before any evening out.
        var placement = Placement(("gpu", Shards("c", 0, 1)), ("a", Shards("c", 2, 3, 4)), ("b", []));

        var moves = ShardSpread.Plan(["a", "b"], placement, maxMoves: 2);

        Assert.Equal(["c/0", "c/1"], moves.Select(move => move.Shard));
        Assert.All(moves, move => Assert.Equal(("gpu", "b"), (move.From, move.To)));
    }

    [Fact]
    public void Plan_EvensEveryCatalog_NotOnlyTheTotals()
    {
        // Totals are even (3 and 3), but catalog x sits wholly on a and y wholly on b: a query of x would load one silo.
        var placement = Placement(("a", Shards("x", 0, 1, 2)), ("b", Shards("y", 0, 1, 2)));

        var after = Apply(placement, ShardSpread.Plan(["a", "b"], placement, maxMoves: 10));

        Assert.True(Counts(after, ["a", "b"], "x").Max() - Counts(after, ["a", "b"], "x").Min() <= 1);
        Assert.True(Counts(after, ["a", "b"], "y").Max() - Counts(after, ["a", "b"], "y").Min() <= 1);
        Assert.True(Math.Abs(after["a"].Count - after["b"].Count) <= 1);
    }

    [Fact]
    public void Plan_EvensTotals_WithoutUnevenningACatalog()
    {
        // Each catalog is even (one shard per silo at most differs by one), but a holds 4 shards of 4 catalogs and c none.
        var placement = Placement(("a", ["w/0", "x/0", "y/0", "z/0"]), ("b", ["w/1", "x/1"]), ("c", []));

        var after = Apply(placement, ShardSpread.Plan(["a", "b", "c"], placement, maxMoves: 10));

        Assert.True(after.Values.Max(shards => shards.Count) - after.Values.Min(shards => shards.Count) <= 1);
        foreach (var catalog in new[] { "w", "x", "y", "z" })
        {
            var counts = Counts(after, ["a", "b", "c"], catalog);
            Assert.True(counts.Max() - counts.Min() <= 1, $"{catalog}: {string.Join('/', counts)}");
        }
    }

    [Fact]
    public void Plan_PlansNothing_WhenTheSpreadIsAlreadyEven()
    {
        var placement = Placement(("a", Shards("c", 0, 1, 2)), ("b", Shards("c", 3, 4)), ("c", Shards("c", 5, 6, 7)));

        Assert.Empty(ShardSpread.Plan(["a", "b", "c"], placement, maxMoves: 10));
    }

    [Fact]
    public void Plan_StopsAtMaxMoves_AndLaterRoundsFinishTheJob()
    {
        var placement = Placement(("a", Shards("c", 0, 1, 2, 3, 4, 5, 6, 7, 8)), ("b", []), ("c", []));
        var rounds = 0;
        IReadOnlyList<ShardMove> moves;
        while ((moves = ShardSpread.Plan(["a", "b", "c"], placement, maxMoves: 2)).Count > 0)
        {
            Assert.True(moves.Count <= 2);
            Assert.Equal(moves.Count, moves.Select(move => move.Shard).Distinct().Count());
            placement = Apply(placement, moves);
            rounds++;
        }

        Assert.Equal(3, rounds);
        Assert.Equal([3, 3, 3], Counts(placement, ["a", "b", "c"], "c"));
    }

    [Fact]
    public void Plan_KeepsEveryShard_OnExactlyOneSilo()
    {
        var random = new Random(7);
        var silos = new[] { "a", "b", "c", "d" };
        var all = Enumerable.Range(0, 5).SelectMany(catalog => Shards($"cat{catalog}", [.. Enumerable.Range(0, random.Next(1, 9))])).ToList();
        var placement = Placement([.. silos.Select(silo => (silo, (IReadOnlyList<string>)[]))]);
        foreach (var shard in all)
        {
            ((List<string>)placement[silos[random.Next(2)]]).Add(shard);
        }

        var after = Apply(placement, ShardSpread.Plan(silos, placement, maxMoves: 100));

        Assert.Equal(all.Order(StringComparer.Ordinal), after.Values.SelectMany(shards => shards).Order(StringComparer.Ordinal));
        Assert.True(after.Values.Max(shards => shards.Count) - after.Values.Min(shards => shards.Count) <= 1);
    }

    private static IReadOnlyList<string> Shards(string catalog, params int[] numbers) => [.. numbers.Select(n => $"{catalog}/{n}")];

    private static Dictionary<string, IReadOnlyList<string>> Placement(params (string Silo, IReadOnlyList<string> Shards)[] silos) =>
        silos.ToDictionary(silo => silo.Silo, silo => (IReadOnlyList<string>)new List<string>(silo.Shards), StringComparer.Ordinal);

    private static Dictionary<string, IReadOnlyList<string>> Apply(Dictionary<string, IReadOnlyList<string>> placement, IEnumerable<ShardMove> moves)
    {
        var after = placement.ToDictionary(entry => entry.Key, entry => new List<string>(entry.Value), StringComparer.Ordinal);
        foreach (var move in moves)
        {
            Assert.True(after[move.From].Remove(move.Shard), $"{move.Shard} is not on {move.From}");
            (after.TryGetValue(move.To, out var list) ? list : after[move.To] = []).Add(move.Shard);
        }

        return after.ToDictionary(entry => entry.Key, entry => (IReadOnlyList<string>)entry.Value, StringComparer.Ordinal);
    }

    private static int[] Counts(Dictionary<string, IReadOnlyList<string>> placement, string[] silos, string catalog) =>
        [.. silos.Select(silo => placement.GetValueOrDefault(silo)?.Count(shard => ShardSpread.CatalogOf(shard) == catalog) ?? 0)];
}
