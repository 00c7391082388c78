using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Cli.Training;
using SkiaSharp;

namespace OutfitFinder.Cli.Study;

/// <summary>
/// The work of <c>outfit study</c>: embeds the gallery once and every query's thorough crops once
/// (the last activation map of each, pooled four ways), then scores every combination from those
/// vectors. The fast and none localisations are prefixes of the thorough crop list
/// (<see cref="QueryRegions.ThoroughPlan"/> starts with the fast plan, which starts with the whole
/// photo), so they need no second model run.
/// </summary>
internal sealed class StudyRunner(StudySettings settings, Action<int, int> progress)
{
    private const int Depth = 20;
    private const int TimedQueries = 40;
    private static readonly int[] Ks = [1, 5, 10, 20];
    private static readonly FeatureMapPoolingKind[] Poolings =
        [FeatureMapPoolingKind.Average, FeatureMapPoolingKind.Gem, FeatureMapPoolingKind.Rmac, FeatureMapPoolingKind.SalientAverage];

    /// <summary>The model name of each pooling's space, as heads name their base model (the salient window is not served).</summary>
    private static readonly string[] BaseSpaces =
        [ResNet18Embedder.ModelName, PooledResNet18Embedder.GemModelName, PooledResNet18Embedder.RmacModelName, BaseNetwork.SalientSpace];

    private static readonly (LocalisationMode Mode, int Crops)[] Modes =
        [(LocalisationMode.None, 1), (LocalisationMode.Fast, 5), (LocalisationMode.Thorough, 14)];

    public string Run(CancellationToken cancellationToken)
    {
        var gallery = ReadRows(settings.ShopCsv, "product_id", "image", "category");
        var galleryIds = gallery.Select(row => row[0]).ToArray();
        var index = galleryIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        var allQueries = ReadRows(settings.QueriesCsv, "image", "product_id", "category").Where(row => index.ContainsKey(row[1])).ToArray();
        var queries = allQueries;
        if (settings.MaxQueries > 0 && queries.Length > settings.MaxQueries)
        {
            queries = [.. queries];
            new Random(settings.Seed).Shuffle(queries);
            queries = queries[..settings.MaxQueries];
        }

        var dimension = 0;
        var cropCounts = new int[queries.Length];
        var galleryVectors = new float[Poolings.Length][];
        var queryCrops = Poolings.Select(_ => new float[queries.Length][]).ToArray();
        var thoroughMs = new List<double>();
        using (var network = BaseNetwork.Create(ResNet18Embedder.ModelName, settings.ModelDirectory))
        {
            // The network's spaces are the four poolings in this order: one run of ResNet18 fills them all.
            dimension = network.Dimension;
            var caches = settings.CacheFolder is { } folder
                ? network.Models.Select(model => (BaseVectorCache?)BaseVectorCache.Open(Path.Combine(folder, model + ".vectors"), model, dimension)).ToArray()
                : network.Models.Select(_ => (BaseVectorCache?)null).ToArray();
            if (settings.CacheFolder is not null)
            {
                Directory.CreateDirectory(settings.CacheFolder);
            }

            var items = gallery.Select(row => new ImageRegions(row[1], LocalisationMode.None))
                .Concat(queries.Select(row => new ImageRegions(row[0], LocalisationMode.Thorough))).Distinct().ToList();
            var failures = new Dictionary<string, string>(StringComparer.Ordinal);
            var embedStarted = Stopwatch.GetTimestamp();
            var pendingTotal = -1;
            var vectors = BaseEmbedding.EmbedAll(network, items, caches, failures, (done, pending) =>
            {
                progress(done, pending);
                pendingTotal = pending;

                // Queries come last and one model call each: their times are the thorough latency when nothing was cached.
                thoroughMs.Add(Stopwatch.GetElapsedTime(embedStarted).TotalMilliseconds);
                embedStarted = Stopwatch.GetTimestamp();
            }, cancellationToken);
            if (failures.Count > 0)
            {
                var (image, reason) = failures.First();
                throw new InvalidDataException($"{failures.Count} photos cannot be used, e.g. '{image}': {reason}");
            }

            foreach (var cache in caches)
            {
                cache?.Save();
            }

            // Gallery: one vector per product per pooling.
            for (var p = 0; p < Poolings.Length; p++)
            {
                galleryVectors[p] = [.. gallery.SelectMany(row => vectors[p][new ImageRegions(row[1], LocalisationMode.None)])];
                for (var q = 0; q < queries.Length; q++)
                {
                    queryCrops[p][q] = vectors[p][new ImageRegions(queries[q][0], LocalisationMode.Thorough)];
                    cropCounts[q] = queryCrops[p][q].Length / dimension;
                }
            }

            // Per-query times were taken only for queries the caches lacked; they count when all queries were embedded here.
            thoroughMs = pendingTotal == items.Count && thoroughMs.Count > queries.Length ? thoroughMs[^queries.Length..] : [];
        }

        using var embedder = ResNet18Embedder.Create(BaseNetwork.ResNetOptions(settings.ModelDirectory), NullLogger<ResNet18Embedder>.Instance);
        var latency = MeasureLatency(embedder, queries, thoroughMs);
        var truth = queries.Select(row => index[row[1]]).ToArray();
        var categories = queries.Select(row => row[2]).ToArray();

        var spaces = new List<(string Name, int Dimension, float[] Gallery, float[][] Queries)>();
        for (var p = 0; p < Poolings.Length; p++)
        {
            spaces.Add((PoolingName(Poolings[p]), dimension, galleryVectors[p], queryCrops[p]));
        }

        foreach (var headFile in settings.HeadFiles)
        {
            // A head follows the space it was trained on: its base model names the pooling.
            var head = HeadFile.Load(headFile);
            var p = Array.IndexOf(BaseSpaces, head.BaseModel);
            if (p < 0 || head.InputDimension != dimension)
            {
                throw new InvalidDataException(
                    $"Head '{headFile}' takes {head.InputDimension}-value vectors of '{head.BaseModel}'; outfit study measures heads on {string.Join(", ", BaseSpaces.Take(3))}.");
            }

            spaces.Add(($"{PoolingName(Poolings[p])} + {Path.GetFileNameWithoutExtension(headFile)}", head.OutputDimension,
                head.ProjectRows(galleryVectors[p]), [.. queryCrops[p].Select(rows => head.ProjectRows(rows))]));
        }

        var rows = new List<ResultRow>();
        foreach (var space in spaces)
        {
            var scorer = new Scorer(space.Gallery, space.Dimension, galleryIds);
            foreach (var (mode, crops) in Modes)
            {
                rows.Add(Measure(space.Name, mode, "max", "-", q => scorer.RankMax(space.Queries[q], Math.Min(crops, cropCounts[q]), truth[q])));
                if (crops > 1)
                {
                    rows.Add(Measure(space.Name, mode, "rank", "-", q => scorer.RankRrf(space.Queries[q], Math.Min(crops, cropCounts[q]), truth[q])));
                }
            }

            if (space.Name is "avg" or "gem" || space.Name.Contains(" + ", StringComparison.Ordinal))
            {
                var augmented = new Scorer(scorer.Augmented(), space.Dimension, galleryIds);
                foreach (var (mode, crops) in Modes)
                {
                    rows.Add(Measure(space.Name, mode, "max", "query expansion (top 2)", q => scorer.RankExpanded(space.Queries[q], Math.Min(crops, cropCounts[q]), truth[q])));
                    rows.Add(Measure(space.Name, mode, "max", "database augmentation (1 nn)", q => augmented.RankMax(space.Queries[q], Math.Min(crops, cropCounts[q]), truth[q])));
                }
            }
        }

        if (settings.JsonFile is { } jsonFile)
        {
            File.WriteAllText(jsonFile, StudyJson.ToJson(
                [.. rows.Select(row => (StudyJson.SeriesName(row.Space, row.Localise, row.Fusion, row.Rerank), row.Ranks))], categories));
        }

        return Report(rows, queries.Length, allQueries.Length, gallery.Count, latency, categories);

        ResultRow Measure(string space, LocalisationMode mode, string fusion, string rerank, Func<int, int> rankOf)
        {
            var ranks = new int[queries.Length];
            Parallel.For(0, queries.Length, q => ranks[q] = rankOf(q));
            return new ResultRow(space, QueryRegions.Name(mode), fusion, rerank, ranks);
        }
    }

    /// <summary>Milliseconds per query (decode, crops, preprocessing, one model call) for each localisation, on the first queries.</summary>
    private static Dictionary<string, (double P50, double P99)> MeasureLatency(ResNet18Embedder embedder, string[][] queries, List<double> thoroughMs)
    {
        var result = new Dictionary<string, (double, double)>(StringComparer.Ordinal) { ["thorough"] = Percentiles(thoroughMs) };
        LocalisationMode[] timed = thoroughMs.Count > 0
            ? [LocalisationMode.None, LocalisationMode.Fast]
            : [LocalisationMode.None, LocalisationMode.Fast, LocalisationMode.Thorough];
        foreach (var mode in timed)
        {
            var times = new List<double>();
            foreach (var query in queries.Take(TimedQueries))
            {
                var started = Stopwatch.GetTimestamp();
                using var photo = Decode(query[0]);
                var crops = QueryRegions.Plan(photo.Width, photo.Height, mode).Select(box => box.Crop(photo)).ToList();
                var inputs = new float[crops.Count * embedder.InputLength];
                Parallel.For(0, crops.Count, i => embedder.Preprocess(crops[i], inputs.AsSpan(i * embedder.InputLength, embedder.InputLength)));
                embedder.Run(inputs);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                crops.ForEach(b => b.Dispose());
            }

            result[QueryRegions.Name(mode)] = Percentiles(times);
        }

        return result;
    }

    private static (double P50, double P99) Percentiles(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? (0, 0) : (sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)]);
    }

    private static SKBitmap Decode(string path) => ImageDecoder.Decode(File.ReadAllBytes(path), ImageLimits.Default);

    /// <summary>
    /// Reads the named columns of a small CSV written by <c>outfit pairs</c>. Plain comma splitting:
    /// those files quote nothing (ids, relative paths and labels hold no commas), and a row that does
    /// not have the header's cell count is an error rather than a guess.
    /// </summary>
    private static List<string[]> ReadRows(string path, params string[] columns)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"'{path}' is empty.");
        }

        var header = lines[0].Split(',');
        var positions = columns.Select(c => Array.IndexOf(header, c)).ToArray();
        if (positions.Any(p => p < 0))
        {
            throw new InvalidDataException($"'{path}' needs the columns {string.Join(",", columns)}.");
        }

        var folder = Path.GetDirectoryName(path)!;
        var rows = new List<string[]>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length)
            {
                throw new InvalidDataException($"'{path}' has a row with {cells.Length} cells, not {header.Length}: {line}");
            }

            rows.Add([.. columns.Select((column, i) => column == "image" ? Path.Combine(folder, cells[positions[i]]) : cells[positions[i]])]);
        }

        return rows;
    }

    private static string PoolingName(FeatureMapPoolingKind kind) => kind switch
    {
        FeatureMapPoolingKind.Average => "avg",
        FeatureMapPoolingKind.Gem => "gem",
        FeatureMapPoolingKind.Rmac => "rmac",
        _ => "salient",
    };

    private static string Report(List<ResultRow> rows, int queries, int available, int gallery,
        Dictionary<string, (double P50, double P99)> latency, string[] categories)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"{queries} queries (of {available}), gallery {gallery} products.\n\n");
        text.Append("| space | localise | fusion | re-ranking | top-1 | top-5 | top-10 | top-20 | MRR@20 |\n|---|---|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var row in rows)
        {
            text.Append(c, $"| {row.Space} | {row.Localise} | {(row.Localise == "none" ? "-" : row.Fusion)} | {row.Rerank} | ");
            text.Append(string.Join(" | ", Ks.Select(k => (100.0 * row.Ranks.Count(r => r <= k) / row.Ranks.Length).ToString("F1", c) + "%")));
            text.Append(c, $" | {row.Ranks.Average(r => r <= Depth ? 1.0 / r : 0):F3} |\n");
        }

        var best = rows.OrderByDescending(r => r.Ranks.Count(x => x <= 20)).ThenByDescending(r => r.Ranks.Count(x => x <= 1)).First();
        text.Append(c, $"\nBest by top-20: {best.Space}, localise {best.Localise}, fusion {best.Fusion}, re-ranking {best.Rerank}; per category:\n\n");
        text.Append("| category | n | top-1 | top-5 | top-10 | top-20 |\n|---|---:|---:|---:|---:|---:|\n");
        foreach (var group in Enumerable.Range(0, categories.Length).GroupBy(q => categories[q]).OrderByDescending(g => g.Count()))
        {
            var ranks = group.Select(q => best.Ranks[q]).ToArray();
            text.Append(c, $"| {group.Key} | {ranks.Length} | ");
            text.Append(string.Join(" | ", Ks.Select(k => (100.0 * ranks.Count(r => r <= k) / ranks.Length).ToString("F1", c) + "%")));
            text.Append(" |\n");
        }

        text.Append("\nEmbedding time per query (decode, crops, preprocessing, one model call), this process, ms:\n\n| localise | p50 | p99 |\n|---|---:|---:|\n");
        foreach (var name in (string[])["none", "fast", "thorough"])
        {
            text.Append(c, $"| {name} | {latency[name].P50:F0} | {latency[name].P99:F0} |\n");
        }

        return text.ToString();
    }

    private sealed record ResultRow(string Space, string Localise, string Fusion, string Rerank, int[] Ranks);

    /// <summary>Cosine scoring of query crops against one gallery (vectors L2-normalised), and the rank of the true product.</summary>
    private sealed class Scorer(float[] gallery, int dimension, string[] ids)
    {
        private readonly int _count = gallery.Length / dimension;

        public float[] Augmented()
        {
            // Database-side augmentation: each gallery vector plus its nearest other gallery vector, renormalised.
            var result = new float[gallery.Length];
            Parallel.For(0, _count, g =>
            {
                var own = gallery.AsSpan(g * dimension, dimension);
                var (best, bestScore) = (-1, float.MinValue);
                for (var other = 0; other < _count; other++)
                {
                    var score = other == g ? float.MinValue : TensorPrimitives.Dot(own, gallery.AsSpan(other * dimension, dimension));
                    if (score > bestScore)
                    {
                        (best, bestScore) = (other, score);
                    }
                }

                var target = result.AsSpan(g * dimension, dimension);
                TensorPrimitives.Add(own, gallery.AsSpan(best * dimension, dimension), target);
                Normalise(target);
            });
            return result;
        }

        public int RankMax(float[] crops, int count, int truth) => RankOf(MaxScores(crops, count), truth);

        public int RankRrf(float[] crops, int count, int truth)
        {
            var fused = new double[_count];
            for (var c = 0; c < count; c++)
            {
                var scores = Scores(crops.AsSpan(c * dimension, dimension));
                var order = Enumerable.Range(0, _count).OrderByDescending(g => scores[g]).ThenBy(g => ids[g], StringComparer.Ordinal).Take(Depth).ToArray();
                for (var r = 0; r < order.Length; r++)
                {
                    fused[order[r]] += 1.0 / (CropFusion.RankConstant + r + 1);
                }
            }

            if (fused[truth] == 0)
            {
                return int.MaxValue;
            }

            var rank = 1;
            for (var g = 0; g < _count; g++)
            {
                if (fused[g] > fused[truth] || (fused[g] == fused[truth] && string.CompareOrdinal(ids[g], ids[truth]) < 0))
                {
                    rank++;
                }
            }

            return rank;
        }

        /// <summary>Average query expansion: the best crop plus the top two products, renormalised, searched again.</summary>
        public int RankExpanded(float[] crops, int count, int truth)
        {
            var fused = MaxScores(crops, count);
            var top = Enumerable.Range(0, _count).OrderByDescending(g => fused[g]).Take(2).ToArray();
            var bestCrop = Enumerable.Range(0, count)
                .OrderByDescending(c => TensorPrimitives.Dot(crops.AsSpan(c * dimension, dimension), gallery.AsSpan(top[0] * dimension, dimension)))
                .First();
            var expanded = crops.AsSpan(bestCrop * dimension, dimension).ToArray();
            foreach (var g in top)
            {
                TensorPrimitives.Add(expanded, gallery.AsSpan(g * dimension, dimension), expanded);
            }

            Normalise(expanded);
            return RankOf(Scores(expanded), truth);
        }

        private float[] MaxScores(float[] crops, int count)
        {
            var fused = Scores(crops.AsSpan(0, dimension));
            for (var c = 1; c < count; c++)
            {
                TensorPrimitives.Max(fused, Scores(crops.AsSpan(c * dimension, dimension)), fused);
            }

            return fused;
        }

        private float[] Scores(ReadOnlySpan<float> query)
        {
            var scores = new float[_count];
            for (var g = 0; g < _count; g++)
            {
                scores[g] = TensorPrimitives.Dot(query, gallery.AsSpan(g * dimension, dimension));
            }

            return scores;
        }

        private int RankOf(float[] scores, int truth)
        {
            var rank = 1;
            for (var g = 0; g < _count; g++)
            {
                if (scores[g] > scores[truth] || (scores[g] == scores[truth] && g != truth && string.CompareOrdinal(ids[g], ids[truth]) < 0))
                {
                    rank++;
                }
            }

            return rank;
        }

        private static void Normalise(Span<float> vector)
        {
            var norm = TensorPrimitives.Norm(vector);
            if (norm > 0)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }
        }
    }
}
