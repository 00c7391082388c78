using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// The shipped ResNet18 with another pooling of its last activation map: the same preprocessing
/// and network, the graph's final average pool replaced by <see cref="FeatureMapPooling"/> of the
/// [N,512,7,7] map the edited graph exposes. Built-in as <c>resnet18-gem</c> and
/// <c>resnet18-rmac</c>; a different embedding space from <c>resnet18</c> (a catalog's images and
/// queries must use the same one).
/// </summary>
public sealed class PooledResNet18Embedder : IImageEmbedder
{
    /// <summary>Model name of ResNet18 with GeM pooling.</summary>
    public const string GemModelName = "resnet18-gem";

    /// <summary>Model name of ResNet18 with R-MAC pooling.</summary>
    public const string RmacModelName = "resnet18-rmac";

    private readonly ResNet18Embedder _network;
    private readonly FeatureMapPoolingKind _pooling;

    private PooledResNet18Embedder(ResNet18Embedder network, FeatureMapPoolingKind pooling, string model)
    {
        _network = network;
        _pooling = pooling;
        Model = model;
    }

    /// <inheritdoc />
    public string Model { get; }

    /// <inheritdoc />
    public int Dimension => _network.Dimension;

    /// <inheritdoc />
    public string ExecutionProvider => _network.ExecutionProvider;

    /// <inheritdoc />
    public int InputLength => _network.InputLength;

    /// <summary>Whether <paramref name="model"/> names one of these built-in spaces.</summary>
    public static bool IsModel(string model) => model is GemModelName or RmacModelName;

    /// <summary>Loads ResNet18 with its feature map exposed, pooled as <paramref name="model"/> says.</summary>
    /// <exception cref="ArgumentException"><paramref name="model"/> is not <see cref="GemModelName"/> or <see cref="RmacModelName"/>.</exception>
    public static PooledResNet18Embedder Create(string model, OnnxEmbedderOptions options, ILogger<ResNet18Embedder> logger)
    {
        var pooling = model switch
        {
            GemModelName => FeatureMapPoolingKind.Gem,
            RmacModelName => FeatureMapPoolingKind.Rmac,
            _ => throw new ArgumentException($"'{model}' is not a pooled ResNet18 model ({GemModelName}, {RmacModelName}).", nameof(model)),
        };
        return new PooledResNet18Embedder(ResNet18Embedder.Create(options, logger, exposeFeatureMap: true), pooling, model);
    }

    /// <inheritdoc />
    public void Preprocess(SKBitmap image, Span<float> destination) => _network.Preprocess(image, destination);

    /// <inheritdoc />
    public float[] Run(ReadOnlyMemory<float> inputs)
    {
        var maps = _network.RunFeatureMap(inputs);
        const int side = ResNet18Embedder.FeatureMapSide;
        var mapLength = Dimension * side * side;
        var count = maps.Length / mapLength;
        var output = new float[count * Dimension];
        for (var i = 0; i < count; i++)
        {
            FeatureMapPooling.Pool(maps.AsSpan(i * mapLength, mapLength), Dimension, side, side, _pooling, output.AsSpan(i * Dimension, Dimension));
        }

        return output;
    }

    /// <inheritdoc />
    public float[] Embed(IReadOnlyList<SKBitmap> images) => PreprocessAndRun.Embed(this, images);

    /// <inheritdoc />
    public void Dispose() => _network.Dispose();
}
