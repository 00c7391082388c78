namespace OutfitFinder.Bench.Search;

/// <summary>
/// Synthetic embeddings with the shape of real ones: points gathered around cluster centres
/// (garments of a kind look alike), so a query has close neighbours and a long tail of far ones.
/// Centres are standard normal in every coordinate; a point is its centre plus normal noise of
/// <see cref="Spread"/> per coordinate. With the default 0.6 a point's cosine to its centre is
/// about 1/√1.36 ≈ 0.86, to another point of its cluster about 0.74, and to other clusters about 0.
/// The same seed gives the same vectors on every machine.
/// </summary>
internal sealed class ClusteredVectors
{
    public const float Spread = 0.6f;

    private readonly float[] centres;

    public ClusteredVectors(int clusters, int dimension, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Clusters = clusters;
        Dimension = dimension;
        centres = new float[clusters * dimension];
        FillNormal(new Random(seed), centres, 1f);
    }

    public int Clusters { get; }

    public int Dimension { get; }

    /// <summary><paramref name="count"/> points, <c>count × Dimension</c> floats, each in a uniformly drawn cluster.</summary>
    public float[] Sample(int count, int seed)
    {
        var random = new Random(seed);
        var points = GC.AllocateUninitializedArray<float>(checked(count * Dimension));
        for (var row = 0; row < count; row++)
        {
            var point = points.AsSpan(row * Dimension, Dimension);
            FillNormal(random, point, Spread);
            var centre = centres.AsSpan(random.Next(Clusters) * Dimension, Dimension);
            for (var i = 0; i < point.Length; i++)
            {
                point[i] += centre[i];
            }
        }

        return points;
    }

    /// <summary>Box–Muller: two independent normals per pair of uniforms.</summary>
    private static void FillNormal(Random random, Span<float> values, float scale)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * scale;
            var angle = 2 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
