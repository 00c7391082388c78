using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.WhiteBox;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;
using SkiaSharp;

namespace OutfitFinder.Cli.Training;

/// <summary>An image whose base vectors training needs: the whole photo, or the regions of a localisation plan.</summary>
/// <param name="Image">Absolute path.</param>
/// <param name="Localise">The plan whose regions are embedded, one row each; <see cref="LocalisationMode.None"/> is the whole photo alone.</param>
internal readonly record struct ImageRegions(string Image, LocalisationMode Localise)
{
    /// <summary>How the cache names these regions: null for the whole photo, else the localisation's name.</summary>
    public string? CacheKey => Localise == LocalisationMode.None ? null : QueryRegions.Name(Localise);
}

/// <summary>
/// A base model as <c>outfit train</c> runs it: one run of the network gives the vectors of every
/// space in <see cref="Models"/>. The ResNet18 spaces (<c>resnet18</c>, <c>resnet18-gem</c>,
/// <c>resnet18-rmac</c>, and <see cref="SalientSpace"/>) are poolings of one activation map, so one run fills all their caches.
/// </summary>
internal sealed class BaseNetwork : IDisposable
{
    /// <summary>
    /// The salient-window pooling of ResNet18, which no catalog serves: cached beside the others only
    /// so that <c>outfit study</c> can read all four of its poolings from the caches training filled.
    /// </summary>
    public const string SalientSpace = "resnet18-salient";

    private readonly IImageEmbedder? _single;
    private readonly ResNet18Embedder? _resNet;
    private readonly FeatureMapPoolingKind[] _poolings = [];

    private BaseNetwork(IImageEmbedder single)
    {
        _single = single;
        Models = [single.Model];
        Dimension = single.Dimension;
    }

    private BaseNetwork(ResNet18Embedder resNet, string model)
    {
        _resNet = resNet;
        var spaces = new (string Model, FeatureMapPoolingKind Pooling)[]
        {
            (ResNet18Embedder.ModelName, FeatureMapPoolingKind.Average),
            (PooledResNet18Embedder.GemModelName, FeatureMapPoolingKind.Gem),
            (PooledResNet18Embedder.RmacModelName, FeatureMapPoolingKind.Rmac),
            (SalientSpace, FeatureMapPoolingKind.SalientAverage),
        }.OrderBy(space => space.Model == model ? 0 : 1).ToArray();
        Models = [.. spaces.Select(space => space.Model)];
        _poolings = [.. spaces.Select(space => space.Pooling)];
        Dimension = resNet.Dimension;
    }

    /// <summary>The spaces one run gives, the requested base model first.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>The requested base model.</summary>
    public string Model => Models[0];

    public int Dimension { get; }

    /// <summary>The vectors of <paramref name="images"/> in every space of <see cref="Models"/>, in that order; each row-major and unit length.</summary>
    public float[][] Embed(IReadOnlyList<SKBitmap> images)
    {
        if (_single is not null)
        {
            return [_single.Embed(images)];
        }

        var network = _resNet!;
        var inputs = new float[images.Count * network.InputLength];
        Parallel.For(0, images.Count, i => network.Preprocess(images[i], inputs.AsSpan(i * network.InputLength, network.InputLength)));
        var maps = network.RunFeatureMap(inputs);
        const int side = ResNet18Embedder.FeatureMapSide;
        var mapLength = Dimension * side * side;
        var result = _poolings.Select(_ => new float[images.Count * Dimension]).ToArray();
        for (var i = 0; i < images.Count; i++)
        {
            for (var p = 0; p < _poolings.Length; p++)
            {
                FeatureMapPooling.Pool(maps.AsSpan(i * mapLength, mapLength), Dimension, side, side, _poolings[p], result[p].AsSpan(i * Dimension, Dimension));
            }
        }

        return result;
    }

    public void Dispose()
    {
        _single?.Dispose();
        _resNet?.Dispose();
    }

    /// <param name="model">One of <see cref="BaseEmbedding.Models"/>.</param>
    /// <param name="resNetDirectory">For the ResNet18 spaces, a folder holding another graph of the same shape (e.g. a fine-tuned one); null for the packaged one.</param>
    /// <exception cref="ArgumentException">Not a model of <see cref="BaseEmbedding.Models"/>.</exception>
    public static BaseNetwork Create(string model, string? resNetDirectory = null) => model switch
    {
        ResNet18Embedder.ModelName or PooledResNet18Embedder.GemModelName or PooledResNet18Embedder.RmacModelName =>
            new BaseNetwork(ResNet18Embedder.Create(ResNetOptions(resNetDirectory), NullLogger<ResNet18Embedder>.Instance, exposeFeatureMap: true), model),
        WhiteBoxEmbedder.ModelName => new BaseNetwork(new WhiteBoxEmbedder()),
        _ => throw new ArgumentException(
            $"--base '{model}' is not a model this command can run; use one of {string.Join(", ", BaseEmbedding.Models)}."),
    };

    /// <summary>The packaged ResNet18, or the graph in <paramref name="directory"/>.</summary>
    public static OnnxEmbedderOptions ResNetOptions(string? directory) =>
        directory is null ? new OnnxEmbedderOptions() : new OnnxEmbedderOptions { ModelDirectory = directory };
}

/// <summary>Embeds training images in this process with a built-in base model, through the caches.</summary>
internal static class BaseEmbedding
{
    /// <summary>Models <c>outfit train</c> can embed with: the built-in ones, whose files ship with the command.</summary>
    public static readonly IReadOnlyList<string> Models =
        [ResNet18Embedder.ModelName, PooledResNet18Embedder.GemModelName, PooledResNet18Embedder.RmacModelName, WhiteBoxEmbedder.ModelName];

    /// <summary>Images per model call; a localised image is one call of its own (its regions are the batch, as the served path runs them).</summary>
    private const int BatchSize = 16;

    /// <summary>Items embedded between two writes of the caches.</summary>
    private const int CheckpointEvery = 1000;

    /// <summary>
    /// The base vectors (of <see cref="BaseNetwork.Model"/>) of every item in <paramref name="items"/>,
    /// from the caches or computed; computed ones go into every cache, one per space of the network (a
    /// null cache is skipped). An image that cannot be decoded is left out and its reason put in
    /// <paramref name="failures"/>.
    /// </summary>
    /// <param name="network">The base model.</param>
    /// <param name="items">Images and the regions wanted of each, each once.</param>
    /// <param name="caches">One cache per space of <paramref name="network"/>, in its order.</param>
    /// <param name="failures">Receives image path → why it cannot be used.</param>
    /// <param name="onEmbedded">Called with (done, total) after each batch of items not found in the caches.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static Dictionary<ImageRegions, float[]> Embed(
        BaseNetwork network,
        IReadOnlyCollection<ImageRegions> items,
        IReadOnlyList<BaseVectorCache?> caches,
        Dictionary<string, string> failures,
        Action<int, int> onEmbedded,
        CancellationToken cancellationToken) =>
        EmbedAll(network, items, caches, failures, onEmbedded, cancellationToken)[0];

    /// <summary>
    /// As <see cref="Embed"/>, in every space of the network: one dictionary per space, in its order.
    /// An item counts as cached only when every non-null cache holds it; with no cache at all, everything is computed.
    /// </summary>
    public static Dictionary<ImageRegions, float[]>[] EmbedAll(
        BaseNetwork network,
        IReadOnlyCollection<ImageRegions> items,
        IReadOnlyList<BaseVectorCache?> caches,
        Dictionary<string, string> failures,
        Action<int, int> onEmbedded,
        CancellationToken cancellationToken)
    {
        var spaceCount = network.Models.Count;
        var vectors = Enumerable.Range(0, spaceCount).Select(_ => new Dictionary<ImageRegions, float[]>()).ToArray();
        var pending = new List<ImageRegions>();
        var anyCache = caches.Any(cache => cache is not null);
        foreach (var item in items)
        {
            var found = new float[spaceCount][];
            var hit = anyCache;
            for (var s = 0; s < spaceCount && hit; s++)
            {
                if (caches[s] is { } cache)
                {
                    hit = cache.TryGet(item.Image, item.CacheKey, out found[s]);
                }
            }

            if (hit)
            {
                for (var s = 0; s < spaceCount; s++)
                {
                    if (found[s] is { } rows)
                    {
                        vectors[s][item] = rows;
                    }
                }
            }
            else
            {
                pending.Add(item);
            }
        }

        var done = 0;
        onEmbedded(0, pending.Count);
        var batches = pending.Where(i => i.Localise == LocalisationMode.None).Chunk(BatchSize)
            .Concat(pending.Where(i => i.Localise != LocalisationMode.None).Select(i => new[] { i }));
        foreach (var chunk in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bitmaps = new List<SKBitmap>();
            var owners = new List<(ImageRegions Item, int First, int Count)>();
            try
            {
                foreach (var item in chunk)
                {
                    try
                    {
                        using var photo = ImageDecoder.Decode(File.ReadAllBytes(item.Image), ImageLimits.Default);
                        var regions = QueryRegions.Plan(photo.Width, photo.Height, item.Localise);
                        owners.Add((item, bitmaps.Count, regions.Count));
                        bitmaps.AddRange(regions.Select(region => region.Crop(photo)));
                    }
                    catch (ImageRejectedException rejected)
                    {
                        failures[item.Image] = rejected.Message;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        failures[item.Image] = ex.Message;
                    }
                }

                if (bitmaps.Count > 0)
                {
                    var spaces = network.Embed(bitmaps);
                    foreach (var (item, first, count) in owners)
                    {
                        for (var s = 0; s < spaces.Length; s++)
                        {
                            var rows = spaces[s].AsSpan(first * network.Dimension, count * network.Dimension).ToArray();
                            vectors[s][item] = rows;
                            caches[s]?.Add(item.Image, item.CacheKey, rows);
                        }
                    }
                }
            }
            finally
            {
                bitmaps.ForEach(bitmap => bitmap.Dispose());
            }

            done += chunk.Length;
            onEmbedded(done, pending.Count);
            if (done / CheckpointEvery != (done - chunk.Length) / CheckpointEvery)
            {
                // Hours of embedding must not be lost to an interrupted run: the caches are written as it goes.
                foreach (var cache in caches)
                {
                    cache?.Save();
                }
            }
        }

        return vectors;
    }
}
