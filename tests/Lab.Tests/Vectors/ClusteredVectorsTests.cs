using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Lab.Tests.Vectors;

public sealed class ClusteredVectorsTests
{
    // Pinned values: published benchmark data sets were made with these sequences (docs/benchmarks.md), so a
    // change to either drawing mode would silently change what a rerun of a documented command measures.
    // Next's were made by the generator behind `outfit bench gen`, Sample's by the gateway benchmarks' own.
    [Fact]
    public void Next_GivesThePublishedSequence_ForASeed()
    {
        var vectors = new ClusteredVectors(dimension: 4, clusterCount: 3, seed: 42).Next(2);

        Assert.Equal(
            [-0.30148023f, 1.1420813f, -1.6317223f, 0.35846168f, 0.99276036f, 1.0264169f, -1.0372115f, 0.32018545f],
            vectors);
    }

    [Fact]
    public void Sample_GivesThePublishedSequence_ForASeed()
    {
        var space = new ClusteredVectors(dimension: 4, clusterCount: 3, seed: 42, ClusteredVectors.GatewayBenchmarkSpread);

        var vectors = space.Sample(2, seed: 43);

        Assert.Equal(
            [-0.40537882f, 0.76191235f, -1.6971061f, -1.2453523f, 1.0923421f, 1.4369993f, -0.5428217f, 0.024577826f],
            vectors);
    }

    [Fact]
    public void Next_ContinuesOneSequence_AcrossCalls()
    {
        var whole = new ClusteredVectors(8, 5, seed: 3).Next(7);
        var parts = new ClusteredVectors(8, 5, seed: 3);

        float[] joined = [.. parts.Next(4), .. parts.Next(3)];

        Assert.Equal(whole, joined);
    }

    [Fact]
    public void Sample_IsTheSameWhateverWasDrawnBefore_AndLeavesNextAlone()
    {
        var untouched = new ClusteredVectors(8, 5, seed: 3);
        var sampled = new ClusteredVectors(8, 5, seed: 3);

        var first = sampled.Sample(6, seed: 9);
        var next = sampled.Next(4);
        var second = sampled.Sample(6, seed: 9);

        Assert.Equal(first, second);
        Assert.Equal(untouched.Next(4), next);
    }

    [Fact]
    public void Next_GathersVectorsInClusters_SetApartByMoreThanTheirSpread()
    {
        const int dimension = 64;
        const int count = 20;
        var vectors = new ClusteredVectors(dimension, clusterCount: 4, seed: 1, spread: 0.1f).Next(count);

        // Two vectors of one cluster differ by noise alone, σ·√2 per value: about 0.1·√2·√64 ≈ 1.1 apart.
        // Centres are N(0, 1) per value, so vectors of two clusters are about √(2·64) ≈ 11 apart.
        var distances = (from i in Enumerable.Range(0, count)
                         from j in Enumerable.Range(i + 1, count - i - 1)
                         select Distance(vectors.AsSpan(i * dimension, dimension), vectors.AsSpan(j * dimension, dimension))).ToArray();
        Assert.All(distances, distance => Assert.True(distance is < 2.5 or > 6, $"a pair {distance:F2} apart"));
        Assert.Contains(distances, distance => distance < 2.5);
        Assert.Contains(distances, distance => distance > 6);
    }

    [Theory]
    [InlineData(0, 1, 0.5f)]
    [InlineData(1, 0, 0.5f)]
    [InlineData(1, 1, 0f)]
    [InlineData(1, 1, float.NaN)]
    public void Constructor_RejectsSettingsOutOfRange(int dimension, int clusterCount, float spread)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusteredVectors(dimension, clusterCount, seed: 1, spread));
    }

    private static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(sum);
    }
}
