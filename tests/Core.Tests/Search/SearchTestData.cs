using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>A product as the tests generate it: images are kept as given, before any normalisation.</summary>
internal sealed record TestProduct(string Id, string? Category, float[][] Images)
{
    public float[] Flattened() => [.. Images.SelectMany(image => image)];
}

/// <summary>A product's rank in the reference: its best image and that image's score, in double precision.</summary>
internal readonly record struct ReferenceHit(string ProductId, int ImageIndex, double Score);

/// <summary>Random catalogs and queries, always from a fixed seed so a failure replays.</summary>
internal static class SearchTestData
{
    public static readonly string?[] Categories = ["tops", "shoes", "bags", null];

    public static float[] RandomVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    /// <summary>Products with 1 to <paramref name="maxImages"/> images each and a random category.</summary>
    public static List<TestProduct> RandomProducts(Random random, int count, int dimension, int maxImages = 3)
    {
        var products = new List<TestProduct>(count);
        for (var i = 0; i < count; i++)
        {
            var images = new float[random.Next(1, maxImages + 1)][];
            for (var image = 0; image < images.Length; image++)
            {
                images[image] = RandomVector(random, dimension);
            }

            var category = Categories[random.Next(Categories.Length)];
            products.Add(new TestProduct($"p{random.Next(100_000):D5}-{i}", category, images));
        }

        return products;
    }

    public static FlatVectorIndex IndexOf(IEnumerable<TestProduct> products, int dimension, DistanceMetric metric)
    {
        var index = new FlatVectorIndex(dimension, metric);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        return index;
    }
}

/// <summary>
/// Exact search the slow way: plain loops in double precision, no SIMD, no heap, no normalisation
/// at insert. What the index must agree with, up to single-precision rounding.
/// </summary>
internal static class BruteForce
{
    public static double Score(DistanceMetric metric, float[] a, float[] b)
    {
        double dot = 0, normA = 0, normB = 0, squares = 0, absolutes = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
            var difference = (double)a[i] - b[i];
            squares += difference * difference;
            absolutes += Math.Abs(difference);
        }

        return metric switch
        {
            DistanceMetric.Cosine => normA == 0 || normB == 0 ? 0 : dot / (Math.Sqrt(normA) * Math.Sqrt(normB)),
            DistanceMetric.Dot => dot,
            DistanceMetric.L2 => Math.Sqrt(squares),
            DistanceMetric.L1 => absolutes,
            _ => throw new ArgumentOutOfRangeException(nameof(metric)),
        };
    }

    /// <summary>Every qualifying product once, with its best image, best first, ties by ordinal id.</summary>
    public static List<ReferenceHit> Rank(IEnumerable<TestProduct> products, DistanceMetric metric, float[] query,
        string? category = null)
    {
        var higherIsBetter = metric is DistanceMetric.Cosine or DistanceMetric.Dot;
        var hits = new List<ReferenceHit>();
        foreach (var product in products)
        {
            if (category is not null && !string.Equals(product.Category, category, StringComparison.Ordinal))
            {
                continue;
            }

            var bestImage = 0;
            var best = Score(metric, query, product.Images[0]);
            for (var image = 1; image < product.Images.Length; image++)
            {
                var score = Score(metric, query, product.Images[image]);
                if (higherIsBetter ? score > best : score < best)
                {
                    best = score;
                    bestImage = image;
                }
            }

            hits.Add(new ReferenceHit(product.Id, bestImage, best));
        }

        hits.Sort((x, y) =>
        {
            var byScore = higherIsBetter ? y.Score.CompareTo(x.Score) : x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(x.ProductId, y.ProductId);
        });
        return hits;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> is the top <paramref name="k"/> of <paramref name="reference"/>.
    /// Scores must agree within single-precision rounding; ids must agree exactly wherever the reference
    /// score is separated from its neighbours by more than that rounding (elsewhere the two computations may
    /// legitimately order near-equal products differently).
    /// </summary>
    /// <returns>How many positions were checked by id, so callers can demand that most were.</returns>
    public static int AssertTopK(IReadOnlyList<ReferenceHit> reference, IReadOnlyList<IndexHit> actual, int k,
        IReadOnlyDictionary<string, TestProduct> products, DistanceMetric metric, float[] query)
    {
        Assert.Equal(Math.Min(k, reference.Count), actual.Count);
        Assert.Equal(actual.Count, actual.Select(hit => hit.ProductId).Distinct(StringComparer.Ordinal).Count());
        var bestScores = reference.ToDictionary(hit => hit.ProductId, hit => hit.Score, StringComparer.Ordinal);

        var checkedById = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var hit = actual[i];
            Assert.InRange(hit.Score, reference[i].Score - Tolerance(reference[i].Score),
                reference[i].Score + Tolerance(reference[i].Score));

            // The hit's own product really scores that, and the image reported is one that scores it.
            var productBest = bestScores[hit.ProductId];
            Assert.InRange(hit.Score, productBest - Tolerance(productBest), productBest + Tolerance(productBest));
            var imageScore = Score(metric, query, products[hit.ProductId].Images[hit.ImageIndex]);
            Assert.InRange(imageScore, productBest - Tolerance(productBest), productBest + Tolerance(productBest));

            var separated = (i == 0 || Gap(reference[i - 1], reference[i])) &&
                            (i + 1 >= reference.Count || Gap(reference[i], reference[i + 1]));
            if (separated)
            {
                Assert.Equal(reference[i].ProductId, hit.ProductId);
                checkedById++;
            }
        }

        return checkedById;
    }

    private static bool Gap(ReferenceHit a, ReferenceHit b) =>
        Math.Abs(a.Score - b.Score) > 2 * Math.Max(Tolerance(a.Score), Tolerance(b.Score));

    private static double Tolerance(double score) => 1e-5 * Math.Max(1, Math.Abs(score));
}
