using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench gen</c> was asked to write.</summary>
/// <param name="Directory">Folder for base.fvecs, queries.fvecs and truth.ivecs; created when missing.</param>
/// <param name="Count">Base vectors.</param>
/// <param name="Queries">Query vectors, drawn from the same clusters as the base.</param>
/// <param name="Dimension">Values per vector.</param>
/// <param name="Seed">Everything written follows from it.</param>
/// <param name="Clusters">Cluster centres; null for about √count.</param>
/// <param name="TruthDepth">Exact neighbours listed per query (capped at the base size).</param>
/// <param name="Metric">The metric the truth is exact for.</param>
/// <param name="Threads">Threads computing the truth.</param>
/// <param name="Spread">Standard deviation of each value around its cluster centre (the centres' values have 1):
/// wider clusters overlap more, and the nearest neighbours of a vector are harder to find.</param>
internal sealed record SyntheticDatasetOptions(
    string Directory, int Count, int Queries, int Dimension, int Seed, int? Clusters, int TruthDepth,
    DistanceMetric Metric, int Threads, float Spread = ClusteredVectors.DefaultSpread);

/// <summary>The files <c>outfit bench gen</c> wrote.</summary>
internal sealed record SyntheticDatasetFiles(string BasePath, string QueriesPath, string TruthPath, int Clusters, int TruthDepth);

/// <summary>
/// Writes a reproducible benchmark data set: clustered base and query vectors (<see cref="ClusteredVectors"/>)
/// and each query's exact neighbours, found by <see cref="FlatVectorIndex"/> — the reference every other index
/// is measured against. The same options give byte-identical files on any machine.
/// </summary>
internal static class SyntheticDataset
{
    public const string BaseFile = "base.fvecs";
    public const string QueriesFile = "queries.fvecs";
    public const string TruthFile = "truth.ivecs";

    public static SyntheticDatasetFiles Write(SyntheticDatasetOptions options, CancellationToken cancellationToken)
    {
        var clusters = options.Clusters ?? ClusteredVectors.SuggestedClusterCount(options.Count);
        var generator = new ClusteredVectors(options.Dimension, clusters, options.Seed, options.Spread);
        var vectors = new VectorBlock<float>(options.Dimension, options.Count, generator.Next(options.Count));
        var queries = new VectorBlock<float>(options.Dimension, options.Queries, generator.Next(options.Queries));

        var ids = IndexBenchmark.ProductIds(vectors.Count);
        var flat = new FlatVectorIndex(options.Dimension, options.Metric);
        for (var i = 0; i < vectors.Count; i++)
        {
            flat.Upsert(ids[i], category: null, vectors[i]);
        }

        var depth = Math.Min(options.TruthDepth, options.Count);
        var truth = IndexBenchmark.ExactNeighbours(flat, queries, depth, options.Threads, cancellationToken);

        System.IO.Directory.CreateDirectory(options.Directory);
        var files = new SyntheticDatasetFiles(
            Path.Combine(options.Directory, BaseFile),
            Path.Combine(options.Directory, QueriesFile),
            Path.Combine(options.Directory, TruthFile),
            clusters,
            depth);
        WriteFile(files.BasePath, stream => Fvecs.WriteFloats(stream, vectors.Values, vectors.Dimension));
        WriteFile(files.QueriesPath, stream => Fvecs.WriteFloats(stream, queries.Values, queries.Dimension));
        WriteFile(files.TruthPath, stream => Fvecs.WriteInts(stream, truth.SelectMany(row => row).ToArray(), depth));
        return files;
    }

    internal static void WriteFile(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        write(stream);
    }
}
