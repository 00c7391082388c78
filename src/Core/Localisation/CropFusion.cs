using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Localisation;

/// <summary>How the answers of several crops of one photo become one answer.</summary>
public enum CropFusionKind
{
    /// <summary>Each product scores its best score over the crops (<see cref="TopKMerge"/>): the crop that shows the garment decides.</summary>
    Max,

    /// <summary>Reciprocal rank fusion: each product scores Σ 1/(60 + rank) over the crops' lists.</summary>
    Rank,
}

/// <summary>Fuses per-crop result lists (each best first) into one list of products.</summary>
public static class CropFusion
{
    /// <summary>The constant of reciprocal rank fusion (Cormack et al. 2009): damps the weight of the very first ranks.</summary>
    public const int RankConstant = 60;

    /// <summary>
    /// The top <paramref name="k"/> products of <paramref name="lists"/> (one per crop, each sorted
    /// best first in <paramref name="metric"/>'s order). <see cref="CropFusionKind.Max"/> is exact when
    /// every list holds its crop's top k: a product in the fused top k by its best crop is in that
    /// crop's top k, because everything above it there fuses above it too. Each product is
    /// represented by its best-ranked hit.
    /// </summary>
    public static IReadOnlyList<T> Fuse<T>(IReadOnlyList<IReadOnlyList<T>> lists, int k, DistanceMetric metric, CropFusionKind kind, Func<T, IndexHit> key)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(key);
        if (kind == CropFusionKind.Max || lists.Count == 1)
        {
            return TopKMerge.Merge(lists, k, metric, key);
        }

        var fused = new Dictionary<string, (double Score, T Best, int BestRank)>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                var id = key(list[rank]).ProductId;
                var gain = 1.0 / (RankConstant + rank + 1);
                fused[id] = fused.TryGetValue(id, out var entry)
                    ? (entry.Score + gain, rank < entry.BestRank ? list[rank] : entry.Best, Math.Min(rank, entry.BestRank))
                    : (gain, list[rank], rank);
            }
        }

        return [.. fused
            .OrderByDescending(pair => pair.Value.Score)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Take(k)
            .Select(pair => pair.Value.Best)];
    }
}
