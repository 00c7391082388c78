namespace OutfitFinder.Core.Search;

/// <summary>
/// Synthetic embeddings for benchmarks and tests, reproducible from a seed: Gaussian clusters, the shape
/// real image embeddings have (garments of one kind crowd together). Cluster centres are drawn once,
/// each value N(0, 1); a vector is a random centre plus N(0, <see cref="Spread"/>²) noise per value.
/// </summary>
/// <remarks>
/// With the default spread 0.5 the nearest neighbours of a vector are almost all in its own cluster, where
/// distances differ only by noise: ranking the top 20 among a few hundred near-equidistant vectors is the
/// hard case for an approximate index, and the one measured. The same seed gives the same vectors on every
/// machine and .NET version (<see cref="Random(int)"/> with a seed is a fixed algorithm).
/// </remarks>
public sealed class ClusteredVectors
{
    private readonly Random _random;
    private readonly float[] _centres;

    /// <param name="dimension">Values per vector; at least 1.</param>
    /// <param name="clusterCount">Number of cluster centres; at least 1.</param>
    /// <param name="seed">Everything drawn follows from it.</param>
    /// <param name="spread">Standard deviation of the noise around a centre; positive. Default: 0.5.</param>
    public ClusteredVectors(int dimension, int clusterCount, int seed, float spread = 0.5f)
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
        FillGaussian(_centres, 1f);
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
    /// base vectors then queries from one instance share the centres and never repeat.
    /// </summary>
    public float[] Next(int count)
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
            FillGaussian(vector, Spread);
            var centre = _centres.AsSpan(_random.Next(ClusterCount) * Dimension, Dimension);
            for (var d = 0; d < vector.Length; d++)
            {
                vector[d] += centre[d];
            }
        }

        return vectors;
    }

    /// <summary>Box–Muller: two uniform draws give two independent N(0, σ²) values.</summary>
    private void FillGaussian(Span<float> values, float sigma)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var radius = sigma * Math.Sqrt(-2.0 * Math.Log(1.0 - _random.NextDouble()));
            var angle = 2.0 * Math.PI * _random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
