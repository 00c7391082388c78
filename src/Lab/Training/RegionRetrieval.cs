using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Lab.Training;

/// <summary>How well queries find their product, as a catalog search ranks it.</summary>
/// <param name="TopOne">Share of queries whose product ranks first.</param>
/// <param name="TopTwenty">Share of queries whose product is among the first 20.</param>
/// <param name="MeanReciprocalRank">Mean of 1 / rank, counting 0 past rank 20 (MRR@20).</param>
public sealed record RetrievalScore(double TopOne, double TopTwenty, double MeanReciprocalRank)
{
    /// <summary>Whether this score beats <paramref name="other"/>: higher top-20, and on equal top-20 a higher MRR@20.</summary>
    public bool IsBetterThan(RetrievalScore? other) =>
        other is null || TopTwenty > other.TopTwenty || (TopTwenty == other.TopTwenty && MeanReciprocalRank > other.MeanReciprocalRank);
}

/// <summary>
/// Exact product retrieval with localised queries, scored as the served path and <c>outfit study</c>
/// score it: every query is several regions of one photo (the whole photo first), each region is
/// compared with every gallery photo by cosine, and a product's score is its best over its photos and
/// the query's regions (max fusion). The rank of the query's product counts every other product
/// scoring at least as high.
/// </summary>
/// <remarks>
/// This is what early stopping watches: a head that raises the pair loss's accuracy on whole photos
/// may still lose products at rank 20 once each of 14 crops gets its own chance to match a wrong one.
/// </remarks>
public sealed class RegionRetrieval
{
    /// <summary>Depth of the ranking that counts: a product past it is a miss.</summary>
    public const int Depth = 20;

    private readonly int _dimension;
    private readonly float[] _gallery;
    private readonly int[] _galleryProducts;
    private readonly float[][] _queries;
    private readonly int[] _queryProducts;
    private readonly int _productCount;

    /// <param name="dimension">Length of every vector.</param>
    /// <param name="gallery">Gallery photo vectors, row-major; copied and scaled to unit length.</param>
    /// <param name="galleryProducts">Product label of each gallery row.</param>
    /// <param name="queries">Each query's region vectors, row-major, one or more rows; copied and scaled to unit length.</param>
    /// <param name="queryProducts">Product label of each query; must be one of the gallery's.</param>
    public RegionRetrieval(int dimension, ReadOnlySpan<float> gallery, IReadOnlyList<int> galleryProducts, IReadOnlyList<float[]> queries, IReadOnlyList<int> queryProducts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(galleryProducts);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(queryProducts);
        if (gallery.Length == 0 || gallery.Length % dimension != 0 || gallery.Length / dimension != galleryProducts.Count)
        {
            throw new ArgumentException($"The gallery needs one {dimension}-float row per product label ({galleryProducts.Count}), not {gallery.Length} floats.", nameof(gallery));
        }

        if (queries.Count == 0 || queries.Count != queryProducts.Count)
        {
            throw new ArgumentException($"There are {queries.Count} queries and {queryProducts.Count} query products; both must be the same, above 0.", nameof(queries));
        }

        var products = galleryProducts.Distinct().Order().Select((label, index) => (label, index)).ToDictionary(p => p.label, p => p.index);
        _dimension = dimension;
        _gallery = gallery.ToArray();
        UnitRows.Normalise(_gallery, dimension);
        _galleryProducts = [.. galleryProducts.Select(label => products[label])];
        _productCount = products.Count;
        _queries = new float[queries.Count][];
        _queryProducts = new int[queries.Count];
        for (var q = 0; q < queries.Count; q++)
        {
            if (queries[q].Length == 0 || queries[q].Length % dimension != 0)
            {
                throw new ArgumentException($"Query {q} has {queries[q].Length} floats, not whole {dimension}-float rows.", nameof(queries));
            }

            if (!products.TryGetValue(queryProducts[q], out var product))
            {
                throw new ArgumentException($"Query {q}'s product {queryProducts[q]} has no gallery photo.", nameof(queryProducts));
            }

            _queries[q] = (float[])queries[q].Clone();
            UnitRows.Normalise(_queries[q], dimension);
            _queryProducts[q] = product;
        }
    }

    /// <summary>Number of queries.</summary>
    public int QueryCount => _queries.Length;

    /// <summary>Regions per query, at most (the plan may leave out regions of small photos).</summary>
    public int MaxRegions => _queries.Max(rows => rows.Length / _dimension);

    /// <summary>Scores the queries in the base space, or through <paramref name="head"/> when given. Deterministic; uses every core.</summary>
    public RetrievalScore Evaluate(ProjectionHead? head = null)
    {
        var dimension = head?.OutputDimension ?? _dimension;
        var gallery = head is null ? _gallery : head.ProjectRows(_gallery);
        var ranks = new int[_queries.Length];
        Parallel.For(0, _queries.Length, q =>
        {
            var regions = head is null ? _queries[q] : head.ProjectRows(_queries[q]);
            var best = new float[_productCount];
            Array.Fill(best, float.NegativeInfinity);
            for (var r = 0; r < regions.Length / dimension; r++)
            {
                var region = regions.AsSpan(r * dimension, dimension);
                for (var g = 0; g < _galleryProducts.Length; g++)
                {
                    var score = TensorPrimitives.Dot(region, gallery.AsSpan(g * dimension, dimension));
                    if (score > best[_galleryProducts[g]])
                    {
                        best[_galleryProducts[g]] = score;
                    }
                }
            }

            var own = best[_queryProducts[q]];
            var rank = 1;
            for (var p = 0; p < best.Length; p++)
            {
                if (p != _queryProducts[q] && best[p] >= own)
                {
                    rank++;
                }
            }

            ranks[q] = rank;
        });

        return new RetrievalScore(
            ranks.Count(r => r == 1) / (double)ranks.Length,
            ranks.Count(r => r <= Depth) / (double)ranks.Length,
            ranks.Sum(r => r <= Depth ? 1.0 / r : 0) / ranks.Length);
    }
}
