namespace OutfitFinder.Grains.Cluster;

/// <summary>
/// Plans where a shard's read replicas go: each on a silo that holds no other copy of the shard (its writer or
/// another replica) while there are enough allowed silos, and with fewer silos than copies, as evenly as they allow.
/// Pure: silos are names, so the rules are tested without a cluster. The writer's placement check runs it and moves
/// replicas with placement hints, the mechanism the balancer uses for writers.
/// </summary>
/// <remarks>
/// A replica already alone on an allowed silo stays (moving one costs a reload, and it answers nothing meanwhile);
/// one that shares a silo, or runs where it may not, moves only to a silo with strictly fewer copies. Ties go to the
/// silo the seed rotates to first, so the replicas of a catalog's shards do not all pile onto the
/// first silo in name order. Example: silos a, b, c; writer on a; replica 1 on a, replica 2 unknown → 1 → b, 2 → c.
/// </remarks>
public static class ReplicaPlacement
{
    /// <param name="allowed">Silos that may hold shards, in a stable order.</param>
    /// <param name="writer">The writer's silo; null when unknown (it counts on no silo).</param>
    /// <param name="replicas">Where each replica runs now (index 0 is replica 1); null when unknown or not running.</param>
    /// <param name="seed">Rotates ties, e.g. the shard number.</param>
    /// <returns>For each replica, the silo to place or move it to, or null to leave it where it is.</returns>
    public static IReadOnlyList<string?> Plan(IReadOnlyList<string> allowed, string? writer, IReadOnlyList<string?> replicas, int seed = 0)
    {
        var targets = new string?[replicas.Count];
        if (allowed.Count == 0)
        {
            return targets;
        }

        var copies = allowed.ToDictionary(silo => silo, _ => 0, StringComparer.Ordinal);
        if (writer is not null && copies.ContainsKey(writer))
        {
            copies[writer]++;
        }

        foreach (var silo in replicas)
        {
            if (silo is not null && copies.ContainsKey(silo))
            {
                copies[silo]++;
            }
        }

        var rotation = ((seed % allowed.Count) + allowed.Count) % allowed.Count;
        for (var i = 0; i < replicas.Count; i++)
        {
            var current = replicas[i];
            var placed = current is not null && copies.ContainsKey(current);
            if (placed && copies[current!] == 1)
            {
                continue;
            }

            if (placed)
            {
                copies[current!]--;
            }

            var fewest = Enumerable.Range(0, allowed.Count).Select(n => allowed[(n + rotation) % allowed.Count])
                .OrderBy(silo => copies[silo]).First();
            if (placed && copies[fewest] >= copies[current!])
            {
                // Nowhere better: stay.
                copies[current!]++;
                continue;
            }

            copies[fewest]++;
            targets[i] = fewest;
        }

        return targets;
    }
}
