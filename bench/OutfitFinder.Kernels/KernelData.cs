using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Kernels;

/// <summary>Reproducible benchmark inputs: clustered unit vectors, as a cosine shard stores them.</summary>
internal static class KernelData
{
    public const int Dimension = 512;

    public static float[] UnitVectors(int count, int seed)
    {
        var values = new ClusteredVectors(Dimension, ClusteredVectors.SuggestedClusterCount(count), seed).Next(count);
        for (var i = 0; i < count; i++)
        {
            var vector = values.AsSpan(i * Dimension, Dimension);
            var norm = MathF.Sqrt(DotKernels.Dot(vector, vector));
            foreach (ref var value in vector)
            {
                value /= norm;
            }
        }

        return values;
    }

    public static string[] Ids(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}
