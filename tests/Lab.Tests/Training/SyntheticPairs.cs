using OutfitFinder.Lab.Training;

namespace OutfitFinder.Lab.Tests.Training;

/// <summary>
/// A problem a learned metric can solve and plain cosine cannot: each product is a point in the
/// first <see cref="Signal"/> dimensions, and every photo adds strong, independent clutter (think
/// background and lighting) in the remaining ones. Cosine in the base space is dominated by the
/// clutter; a linear head that drops those dimensions matches consumer photos to their product.
/// </summary>
internal static class SyntheticPairs
{
    public const int Signal = 8;
    public const int Clutter = 24;
    public const int Dimension = Signal + Clutter;

    /// <summary>One shop photo per product and <paramref name="consumersPerProduct"/> consumer photos of each.</summary>
    public static PairSet Make(int products, int consumersPerProduct, int seed, int productSeed = 7)
    {
        var productRandom = new Random(productSeed);
        var centres = Enumerable.Range(0, products).Select(_ => Gaussian(productRandom, Signal, 1)).ToArray();
        var random = new Random(seed);
        var shops = new List<float>();
        var consumers = new List<float>();
        var positives = new List<(int, int)>();
        for (var p = 0; p < products; p++)
        {
            shops.AddRange(Photo(centres[p], random, noise: 0.05f));
            for (var c = 0; c < consumersPerProduct; c++)
            {
                positives.Add((consumers.Count / Dimension, p));
                consumers.AddRange(Photo(centres[p], random, noise: 0.25f));
            }
        }

        return new PairSet(Dimension, consumers.ToArray(), shops.ToArray(), Enumerable.Range(0, products).ToArray(), positives);
    }

    private static float[] Photo(float[] centre, Random random, float noise)
    {
        var signal = centre.Zip(Gaussian(random, Signal, noise), (a, b) => a + b);
        return [.. signal, .. Gaussian(random, Clutter, 1.5f)];
    }

    internal static float[] Gaussian(Random random, int count, float deviation) =>
        [.. Enumerable.Range(0, count).Select(_ =>
            deviation * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
