using OutfitFinder.Cli.Maps;

namespace OutfitFinder.Cli.Tests.Maps;

public sealed class TsneTests
{
    [Fact]
    public void Embed_KeepsWellSeparatedClustersApart_AndIsDeterministicForASeed()
    {
        // Four tight clusters of 25 points in 40-D, centres far apart.
        var (points, cluster) = Clusters(clusters: 4, perCluster: 25, dimension: 40, seed: 9);
        var distances = Tsne.SquaredDistances(points);
        var options = new Tsne.Options(Perplexity: 10, Iterations: 500, Seed: 4);

        var map = Tsne.Embed(distances, options);

        // Every point's nearest neighbour on the map is from its own cluster...
        var n = points.Count;
        for (var i = 0; i < n; i++)
        {
            var nearest = Enumerable.Range(0, n).Where(j => j != i).MinBy(j => Distance(map, i, j));
            Assert.Equal(cluster[i], cluster[nearest]);
        }

        // ...and every cluster is tighter than the gap to any other cluster.
        for (var a = 0; a < 4; a++)
        {
            var members = Enumerable.Range(0, n).Where(i => cluster[i] == a).ToList();
            var others = Enumerable.Range(0, n).Where(i => cluster[i] != a).ToList();
            var widest = members.SelectMany(i => members, (i, j) => Distance(map, i, j)).Max();
            var closestOther = members.SelectMany(i => others, (i, j) => Distance(map, i, j)).Min();
            Assert.True(widest < closestOther * 3, $"cluster {a}: diameter {widest}, nearest other point {closestOther}");
            Assert.True(closestOther > 0);
        }

        Assert.Equal(map, Tsne.Embed(distances, options));
        Assert.NotEqual(map, Tsne.Embed(distances, options with { Seed = 5 }));
    }

    [Fact]
    public void Embed_RejectsAPerplexityAsLargeAsThePointCount()
    {
        var (points, _) = Clusters(clusters: 1, perCluster: 5, dimension: 3, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tsne.Embed(Tsne.SquaredDistances(points), new Tsne.Options(Perplexity: 5)));
    }

    [Fact]
    public void SquaredDistances_AreSquaredEuclideanOrSquaredManhattan()
    {
        float[][] points = [[0, 0], [3, 4]];
        Assert.Equal(25, Tsne.SquaredDistances(points)[0, 1]);
        Assert.Equal(49, Tsne.SquaredDistances(points, manhattan: true)[1, 0]);
    }

    private static double Distance(double[,] map, int i, int j) => Math.Sqrt(Math.Pow(map[i, 0] - map[j, 0], 2) + Math.Pow(map[i, 1] - map[j, 1], 2));

    private static (List<float[]> Points, int[] Cluster) Clusters(int clusters, int perCluster, int dimension, int seed)
    {
        var random = new Random(seed);
        var points = new List<float[]>();
        var labels = new List<int>();
        for (var c = 0; c < clusters; c++)
        {
            var centre = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 20)).ToArray();
            for (var p = 0; p < perCluster; p++)
            {
                points.Add([.. centre.Select(v => v + (float)(random.NextDouble() - 0.5))]);
                labels.Add(c);
            }
        }

        return (points, [.. labels]);
    }
}
