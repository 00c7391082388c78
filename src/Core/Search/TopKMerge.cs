namespace OutfitFinder.Core.Search;

/// <summary>Merges the partial top-k lists of several shards into one global top-k.</summary>
public static class TopKMerge
{
    /// <summary>
    /// K-way merge of lists that are each sorted best first in <paramref name="metric"/>'s order,
    /// ties broken by ordinal product id; returns at most <paramref name="k"/> hits.
    /// </summary>
    public static IReadOnlyList<T> Merge<T>(IReadOnlyList<IReadOnlyList<T>> lists, int k, DistanceMetric metric,
        Func<T, IndexHit> key) => throw new NotImplementedException();
}
