namespace OutfitFinder.Core.Search;

/// <summary>Merges the partial top-k lists of several shards into one global top-k.</summary>
public static class TopKMerge
{
    /// <summary>
    /// K-way merge of lists that are each sorted best first in <paramref name="metric"/>'s order,
    /// ties broken by ordinal product id; returns at most <paramref name="k"/> hits.
    /// A product that appears in several lists (a shard answering twice during a move) is kept once,
    /// where it ranks best. Each shard must have been asked for at least <paramref name="k"/> hits:
    /// with fewer, a shard's (k+1)-th product could belong in the answer and is never seen.
    /// </summary>
    /// <remarks>
    /// The heap holds one cursor per list, at that list's current head, so it never grows beyond the
    /// number of lists; the loop stops as soon as k distinct products are out. Worked example, cosine, k = 3:
    /// <code>
    /// s0: [a 0.91, c 0.80]          s1: [b 0.91, a 0.85, d 0.75]
    /// heads {a 0.91, b 0.91} → a (equal scores: "a" &lt; "b" ordinally)      out [a]
    /// heads {c 0.80, b 0.91} → b                                            out [a, b]
    /// heads {c 0.80, a 0.85} → a again: already out, skipped
    /// heads {c 0.80, d 0.75} → c                                            out [a, b, c], stop
    /// </code>
    /// Under L2 or L1 the same walk takes the lowest distance first.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public static IReadOnlyList<T> Merge<T>(IReadOnlyList<IReadOnlyList<T>> lists, int k, DistanceMetric metric,
        Func<T, IndexHit> key)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        var heads = new PriorityQueue<(int List, int Position), IndexHit>(lists.Count, DistanceMetrics.BestFirst(metric));
        long available = 0;
        for (var i = 0; i < lists.Count; i++)
        {
            var list = lists[i] ?? throw new ArgumentException($"List {i} is null.", nameof(lists));
            available += list.Count;
            if (list.Count > 0)
            {
                heads.Enqueue((i, 0), key(list[0]));
            }
        }

        var merged = new List<T>((int)Math.Min(k, available));
        var taken = new HashSet<string>(StringComparer.Ordinal);
        while (merged.Count < k && heads.TryDequeue(out var cursor, out var hit))
        {
            var list = lists[cursor.List];
            if (taken.Add(hit.ProductId))
            {
                merged.Add(list[cursor.Position]);
            }

            var next = cursor.Position + 1;
            if (next < list.Count)
            {
                heads.Enqueue((cursor.List, next), key(list[next]));
            }
        }

        return merged;
    }
}
