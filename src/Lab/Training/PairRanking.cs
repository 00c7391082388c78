using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>How well consumer photos find their own product's shop photos among all shop photos of a pair set.</summary>
/// <param name="TopOne">Share of consumer photos whose most similar shop photo shows their product.</param>
/// <param name="MeanReciprocalRank">Mean of 1 / rank of the first shop photo of the right product.</param>
public sealed record RankingSummary(double TopOne, double MeanReciprocalRank);

/// <summary>Exact retrieval over a <see cref="PairSet"/>, in the base space or through a head: what a catalog search would rank.</summary>
public static class PairRanking
{
    /// <summary>Ranks every shop photo for every consumer photo by cosine, in the base space when <paramref name="head"/> is null.</summary>
    public static RankingSummary Evaluate(PairSet set, ProjectionHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var dimension = head?.OutputDimension ?? set.Dimension;
        var consumers = head is null ? set.Consumers : head.ProjectRows(set.Consumers);
        var shops = head is null ? set.Shops : head.ProjectRows(set.Shops);
        var scores = new float[set.ShopCount];
        double topOne = 0;
        double reciprocal = 0;
        for (var consumer = 0; consumer < set.ConsumerCount; consumer++)
        {
            var query = consumers.AsSpan(consumer * dimension, dimension);
            var product = set.ConsumerProducts[consumer];
            var bestOwn = float.NegativeInfinity;
            for (var shop = 0; shop < set.ShopCount; shop++)
            {
                scores[shop] = TensorPrimitives.Dot(query, shops.AsSpan(shop * dimension, dimension));
                if (set.ShopProducts[shop] == product)
                {
                    bestOwn = Math.Max(bestOwn, scores[shop]);
                }
            }

            // Rank of the best own-product photo; other products' photos that tie it count against it.
            var rank = 1;
            for (var shop = 0; shop < set.ShopCount; shop++)
            {
                if (set.ShopProducts[shop] != product && scores[shop] >= bestOwn)
                {
                    rank++;
                }
            }

            topOne += rank == 1 ? 1 : 0;
            reciprocal += 1.0 / rank;
        }

        return new RankingSummary(topOne / set.ConsumerCount, reciprocal / set.ConsumerCount);
    }
}
