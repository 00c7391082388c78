using System.Runtime.CompilerServices;

namespace OutfitFinder.Core.Search;

/// <summary>The score of each image of one product, for <see cref="ProductHits.BestImage"/>.</summary>
internal interface IImageScores
{
    /// <summary>The score of image <paramref name="image"/>.</summary>
    float Score(int image);
}

/// <summary>
/// How every index kind turns image scores into product hits: a product is offered once, with its best image (the
/// best score, the lowest image index among equal scores), and hits are ordered best first, ties broken by ordinal
/// product id (<see cref="DistanceMetrics.Compare"/>).
/// </summary>
internal static class ProductHits
{
    /// <summary>
    /// The best of a product's <paramref name="imageCount"/> images (at least 1): the first strictly better score
    /// wins, so among equal scores the lowest image index stays.
    /// </summary>
    /// <remarks>
    /// Generic over a struct, so each caller gets its own inlined copy. For the re-ranks and rescores, which score a
    /// few dozen products per query. The full scans write the same rule out in their loops: a scorer struct carrying
    /// a scan's arrays and query made the int8 scan about 1.5× slower (Int8Benchmarks, 100k × 512), as the JIT kept
    /// its fields in memory rather than registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BestImage<TScores>(ref TScores scores, int imageCount, bool higherIsBetter, out int image)
        where TScores : struct, IImageScores, allows ref struct
    {
        var best = scores.Score(0);
        image = 0;
        for (var i = 1; i < imageCount; i++)
        {
            var score = scores.Score(i);
            if (DistanceMetrics.IsBetter(higherIsBetter, score, best))
            {
                best = score;
                image = i;
            }
        }

        return best;
    }

    /// <summary>Sorts hits best first under <paramref name="metric"/> and keeps the first <paramref name="k"/>.</summary>
    public static void SortAndTake(List<IndexHit> hits, int k, DistanceMetric metric)
    {
        hits.Sort(DistanceMetrics.BestFirst(metric));
        if (hits.Count > k)
        {
            hits.RemoveRange(k, hits.Count - k);
        }
    }

    /// <summary>Empties a min-heap under the worst-first order into an array, best first.</summary>
    public static IndexHit[] DrainBestFirst<TElement>(PriorityQueue<TElement, IndexHit> heap)
    {
        var hits = new IndexHit[heap.Count];
        for (var i = hits.Length - 1; i >= 0; i--)
        {
            heap.TryDequeue(out _, out hits[i]);
        }

        return hits;
    }
}
