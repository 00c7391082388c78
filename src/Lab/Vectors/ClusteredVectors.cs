namespace OutfitFinder.Lab.Vectors;

/// <summary>
/// Synthetic embeddings for benchmarks and tests, reproducible from a seed: Gaussian clusters, the shape
/// real image embeddings have (garments of one kind crowd together). Cluster centres are drawn once,
/// each value N(0, 1); a vector is a random centre plus N(0, <see cref="Spread"/>²) noise per value.
/// </summary>
/// <remarks>
/// <para>With the default spread 0.5 the nearest neighbours of a vector are almost all in its own cluster, where
/// distances differ only by noise: ranking the top 20 among a few hundred near-equidistant vectors is the
/// hard case for an approximate index, and the one measured. The same seed gives the same vectors on every
/// machine and .NET version (<see cref="Random(int)"/> with a seed is a fixed algorithm).</para>
/// <para>Two ways to draw, because published data sets were made with each and must stay reproducible
/// (docs/benchmarks.md quotes both):</para>
/// <list type="bullet">
/// <item><see cref="Next"/> continues the one sequence seeded by the constructor's seed, right after the
/// centres: <c>outfit bench gen</c>, the kernel benchmarks and the index tests.</item>
/// <item><see cref="Sample"/> draws from a fresh sequence seeded by its own argument, around the same centres:
/// the gateway search and memory benchmarks, which regenerate any chunk of a million vectors on demand
/// and use <see cref="GatewayBenchmarkSpread"/>.</item>
/// </list>
/// <para>Both draw a vector the same way (its noise, then its centre), so with one seed the two modes give
/// different vectors only because their random sequences start at different points.</para>
/// </remarks>
public sealed class ClusteredVectors
{
    /// <summary>Noise of the default: a vector's nearest neighbours are almost all in its own cluster.</summary>
    public const float DefaultSpread = 0.5f;

    /// <summary>
    /// Noise of the gateway search and memory benchmarks: a point's cosine to its centre is about
    /// 1/√1.36 ≈ 0.86, to another point of its cluster about 0.74, and to other clusters about 0.
    /// </summary>
    public const float GatewayBenchmarkSpread = 0.6f;

    private readonly Random _random;
    private readonly float[] _centres;

    /// <param name="dimension">Values per vector; at least 1.</param>
    /// <param name="clusterCount">Number of cluster centres; at least 1.</param>
    /// <param name="seed">The centres and everything <see cref="Next"/> draws follow from it.</param>
    /// <param name="spread">Standard deviation of the noise around a centre; positive. Default: <see cref="DefaultSpread"/>.</param>
    public ClusteredVectors(int dimension, int clusterCount, int seed, float spread = DefaultSpread)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusterCount, 1);
        if (!(spread > 0f) || !float.IsFinite(spread))
        {
            throw new ArgumentOutOfRangeException(nameof(spread), spread, "The spread must be a positive number.");
        }

        if ((long)dimension * clusterCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(clusterCount), clusterCount, "Too many centres of this dimension.");
        }

        Dimension = dimension;
        ClusterCount = clusterCount;
        Spread = spread;
        _random = new Random(seed);
        _centres = new float[dimension * clusterCount];
        FillGaussian(_random, _centres, 1f);
    }

    /// <summary>Values per vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of cluster centres.</summary>
    public int ClusterCount { get; }

    /// <summary>Standard deviation of the noise around a centre.</summary>
    public float Spread { get; }

    /// <summary>A cluster count that suits <paramref name="count"/> vectors: about √count, so about √count per cluster.</summary>
    public static int SuggestedClusterCount(int count) => Math.Max(1, (int)Math.Round(Math.Sqrt(count)));

    /// <summary>
    /// The next <paramref name="count"/> vectors, back to back. Successive calls continue one sequence:
    /// base vectors then queries from one instance share the centres and never repeat. Not thread-safe.
    /// </summary>
    public float[] Next(int count) => Draw(_random, count);

    /// <summary>
    /// <paramref name="count"/> vectors, back to back, from a sequence of their own seeded by
    /// <paramref name="seed"/>, around this instance's centres: equal arguments give equal vectors whatever
    /// was drawn before, and <see cref="Next"/>'s sequence is left alone. Safe to call from several threads.
    /// </summary>
    public float[] Sample(int count, int seed) => Draw(new Random(seed), count);

    private float[] Draw(Random random, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)count * Dimension > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Too many vectors of dimension {Dimension} for one array.");
        }

        var vectors = new float[count * Dimension];
        for (var i = 0; i < count; i++)
        {
            var vector = vectors.AsSpan(i * Dimension, Dimension);
            FillGaussian(random, vector, Spread);
            var centre = _centres.AsSpan(random.Next(ClusterCount) * Dimension, Dimension);
            for (var d = 0; d < vector.Length; d++)
            {
                vector[d] += centre[d];
            }
        }

        return vectors;
    }

    /// <summary>Box–Muller: two uniform draws give two independent N(0, σ²) values.</summary>
    private static void FillGaussian(Random random, Span<float> values, float sigma)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var radius = sigma * Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            var angle = 2.0 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
