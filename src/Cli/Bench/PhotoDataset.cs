using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Photos;
using OutfitFinder.Lab.Vectors;
using SkiaSharp;

namespace OutfitFinder.Cli.Bench;

/// <summary>What <c>outfit bench photos</c> was asked to write.</summary>
/// <param name="Photos">Folder of photos, searched recursively for .jpg, .jpeg and .png files.</param>
/// <param name="Directory">Folder for base.fvecs, queries.fvecs and truth.ivecs; created when missing.</param>
/// <param name="Limit">Most photos used, the first in ordinal path order; null for all.</param>
/// <param name="Views">Consumer views (<see cref="ConsumerPhotos"/>) of each photo embedded beside the photo itself.</param>
/// <param name="Queries">Photos, drawn by seed, of which one further view each is a query.</param>
/// <param name="Seed">Chooses the query photos and every view's changes.</param>
/// <param name="TruthDepth">Exact neighbours listed per query.</param>
internal sealed record PhotoDatasetOptions(
    string Photos, string Directory, int? Limit, int Views, int Queries, int Seed, int TruthDepth);

/// <summary>
/// Writes a benchmark data set of real image embeddings: ResNet18 vectors of every photo and of
/// <see cref="PhotoDatasetOptions.Views"/> synthetic consumer views of it (cropped, tilted, relit, in clutter), and
/// as queries one more view of some photos, with each query's exact cosine neighbours. Real embeddings are neither
/// Gaussian nor evenly clustered: near-duplicates (a photo and its views) sit beside sparse regions, the case
/// the synthetic sets of <c>bench gen</c> only approximate.
/// </summary>
internal static class PhotoDataset
{
    private const int BatchSize = 16;
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    /// <summary>Embeds the photos and writes the files.</summary>
    /// <param name="options">What to write.</param>
    /// <param name="progress">Called with (embedded, total) after each batch.</param>
    /// <param name="note">Receives lines for a person (stderr).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="BenchInputException">The folder is missing or holds no photo that decodes.</exception>
    public static SyntheticDatasetFiles Write(PhotoDatasetOptions options, Action<int, int> progress, Action<string> note,
        CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(options.Photos))
        {
            throw new BenchInputException($"The photo folder '{options.Photos}' does not exist.");
        }

        var paths = System.IO.Directory.EnumerateFiles(options.Photos, "*", SearchOption.AllDirectories)
            .Where(path => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .Take(options.Limit ?? int.MaxValue)
            .ToArray();
        if (paths.Length == 0)
        {
            throw new BenchInputException($"The photo folder '{options.Photos}' holds no .jpg, .jpeg or .png files.");
        }

        var random = new Random(options.Seed);
        var queryPhotos = new HashSet<int>(
            Enumerable.Range(0, paths.Length).OrderBy(_ => random.Next()).Take(Math.Min(options.Queries, paths.Length)));

        using var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance);
        var dimension = embedder.Dimension;
        var baseVectors = new List<float>();
        var queryVectors = new List<float>();
        var total = paths.Length * (1 + options.Views) + queryPhotos.Count;
        var done = 0;
        var pending = new List<(SKBitmap Bitmap, bool Query)>();
        void Flush()
        {
            if (pending.Count == 0)
            {
                return;
            }

            try
            {
                var rows = embedder.Embed([.. pending.Select(p => p.Bitmap)]);
                for (var i = 0; i < pending.Count; i++)
                {
                    (pending[i].Query ? queryVectors : baseVectors).AddRange(rows.AsSpan(i * dimension, dimension));
                }

                done += pending.Count;
                progress(done, total);
            }
            finally
            {
                foreach (var (bitmap, _) in pending)
                {
                    bitmap.Dispose();
                }

                pending.Clear();
            }
        }

        for (var p = 0; p < paths.Length; p++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SKBitmap photo;
            try
            {
                photo = ImageDecoder.Decode(File.ReadAllBytes(paths[p]), ImageLimits.Default);
            }
            catch (ImageRejectedException)
            {
                // A photo that does not decode is left out, as ingestion would reject it.
                total -= 1 + options.Views + (queryPhotos.Contains(p) ? 1 : 0);
                continue;
            }

            using (photo)
            {
                pending.Add((PhotoTransforms.Copy(photo), false));
                var views = options.Views + (queryPhotos.Contains(p) ? 1 : 0);
                for (var v = 0; v < views; v++)
                {
                    // Seeds per (photo, view): the same options give the same views whatever the batch boundaries.
                    var jpeg = ConsumerPhotos.MakeJpeg(photo, HashCode.Combine(options.Seed, p, v));
                    pending.Add((SKBitmap.Decode(jpeg), v == options.Views));
                }
            }

            if (pending.Count >= BatchSize)
            {
                Flush();
            }
        }

        Flush();
        if (baseVectors.Count == 0 || queryVectors.Count == 0)
        {
            throw new BenchInputException($"No photo in '{options.Photos}' could be decoded.");
        }

        var vectors = new VectorBlock<float>(dimension, baseVectors.Count / dimension, [.. baseVectors]);
        note(string.Create(CultureInfo.InvariantCulture,
            $"{vectors.Count} base vectors and {queryVectors.Count / dimension} queries of dimension {dimension}; computing the exact neighbours"));
        var queries = new VectorBlock<float>(dimension, queryVectors.Count / dimension, [.. queryVectors]);
        var ids = IndexBenchmark.ProductIds(vectors.Count);
        var flat = new FlatVectorIndex(dimension, DistanceMetric.Cosine);
        for (var i = 0; i < vectors.Count; i++)
        {
            flat.Upsert(ids[i], category: null, vectors[i]);
        }

        var depth = Math.Min(options.TruthDepth, vectors.Count);
        var truth = IndexBenchmark.ExactNeighbours(flat, queries, depth, Environment.ProcessorCount, cancellationToken);
        System.IO.Directory.CreateDirectory(options.Directory);
        var files = new SyntheticDatasetFiles(
            Path.Combine(options.Directory, SyntheticDataset.BaseFile),
            Path.Combine(options.Directory, SyntheticDataset.QueriesFile),
            Path.Combine(options.Directory, SyntheticDataset.TruthFile),
            Clusters: 0,
            depth);
        SyntheticDataset.WriteFile(files.BasePath, stream => Fvecs.WriteFloats(stream, vectors.Values, dimension));
        SyntheticDataset.WriteFile(files.QueriesPath, stream => Fvecs.WriteFloats(stream, queries.Values, dimension));
        SyntheticDataset.WriteFile(files.TruthPath, stream => Fvecs.WriteInts(stream, truth.SelectMany(row => row).ToArray(), depth));
        return files;
    }
}
