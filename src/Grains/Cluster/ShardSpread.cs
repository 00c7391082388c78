namespace OutfitFinder.Grains.Cluster;

/// <summary>One shard to move: <paramref name="Shard"/> (<c>catalog/n</c>) from one silo to another.</summary>
public sealed record ShardMove(string Shard, string From, string To);

/// <summary>
/// Plans the moves that spread shards evenly over the silos allowed to hold them. Pure: silos and shards are
/// names, so the rules are tested without a cluster. One round plans at most a given number of moves and moves
/// each shard at most once; the balancer runs rounds until no move is left.
/// </summary>
/// <remarks>
/// In order: (1) shards on silos not allowed to hold them (a GPU silo once a CPU silo is up) go to the allowed
/// silo with the fewest; (2) each catalog's shards are spread so that no two allowed silos differ by more than
/// one of that catalog, since a catalog's queries fan out to all its shards and the slowest silo sets the pace;
/// (3) total shards per silo are evened out the same way, moving only shards whose catalog would stay even.
/// Example, one catalog of 6 shards on silos a, b and a new c: a=3, b=3, c=0 → a→c, b→c → 2/2/2.
/// </remarks>
public static class ShardSpread
{
    /// <param name="allowed">The silos shards may be on, in a stable order (ties go to the first).</param>
    /// <param name="placement">Every silo that holds shards now (allowed or not), with its shards.</param>
    /// <param name="maxMoves">The most moves this round plans.</param>
    public static IReadOnlyList<ShardMove> Plan(IReadOnlyList<string> allowed, IReadOnlyDictionary<string, IReadOnlyList<string>> placement, int maxMoves)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMoves);
        if (allowed.Count == 0)
        {
            return [];
        }

        // Where each shard will be once this round's moves are made.
        var held = allowed.ToDictionary(silo => silo, silo => new List<string>(), StringComparer.Ordinal);
        foreach (var (silo, shards) in placement)
        {
            if (held.TryGetValue(silo, out var list))
            {
                list.AddRange(shards.Order(StringComparer.Ordinal));
            }
        }

        var moves = new List<ShardMove>();
        var moved = new HashSet<string>(StringComparer.Ordinal);

        // (1) Stranded shards.
        foreach (var (silo, shards) in placement.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            if (held.ContainsKey(silo))
            {
                continue;
            }

            foreach (var shard in shards.Order(StringComparer.Ordinal))
            {
                if (moves.Count == maxMoves)
                {
                    return moves;
                }

                var target = Fewest(allowed, held, CatalogOf(shard));
                held[target].Add(shard);
                moves.Add(new ShardMove(shard, silo, target));
                moved.Add(shard);
            }
        }

        // (2) Each catalog even over the allowed silos.
        foreach (var catalog in held.Values.SelectMany(shards => shards).Select(CatalogOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            while (moves.Count < maxMoves)
            {
                var most = allowed.OrderByDescending(silo => Count(held[silo], catalog)).ThenByDescending(silo => held[silo].Count).First();
                var least = Fewest(allowed, held, catalog);
                var shard = held[most].FirstOrDefault(candidate => CatalogOf(candidate) == catalog && !moved.Contains(candidate));
                if (Count(held[most], catalog) - Count(held[least], catalog) <= 1 || shard is null)
                {
                    break;
                }

                Move(shard, most, least);
            }
        }

        // (3) Totals even, without unbalancing any catalog.
        while (moves.Count < maxMoves)
        {
            var most = allowed.OrderByDescending(silo => held[silo].Count).First();
            var least = allowed.OrderBy(silo => held[silo].Count).First();
            if (held[most].Count - held[least].Count <= 1)
            {
                break;
            }

            var shard = held[most].FirstOrDefault(candidate => !moved.Contains(candidate)
                && Count(held[most], CatalogOf(candidate)) > Count(held[least], CatalogOf(candidate)));
            if (shard is null)
            {
                break;
            }

            Move(shard, most, least);
        }

        return moves;

        void Move(string shard, string from, string to)
        {
            held[from].Remove(shard);
            held[to].Add(shard);
            moved.Add(shard);
            // A shard moved twice in one round (a→b then b→c) is one move a→c; never planned, since moved shards are skipped.
            moves.Add(new ShardMove(shard, from, to));
        }
    }

    /// <summary>The catalog of a shard named <c>catalog/n</c>.</summary>
    public static string CatalogOf(string shard) => Catalog.ShardKeys.Parse(shard).Catalog;

    private static int Count(List<string> shards, string catalog) => shards.Count(shard => CatalogOf(shard) == catalog);

    private static string Fewest(IReadOnlyList<string> allowed, Dictionary<string, List<string>> held, string catalog) =>
        allowed.OrderBy(silo => Count(held[silo], catalog)).ThenBy(silo => held[silo].Count).First();
}
