using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// 512-dimensional features from the ImageNet-trained ResNet18 that ships in the
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package (a CNTK export; output is the global
/// average pool before the classifier), computed exactly as ML.NET's
/// <c>LoadImages → ResizeImages(224, 224) → ExtractPixels → DnnFeaturizeImage(ResNet18)</c> does,
/// then L2-normalised.
/// </summary>
/// <remarks>
/// <para>The pipeline, checked against ML.NET 5.0.1 on 31 real photos (cosine ≥ 0.99995, see
/// <c>docs/models.md</c>):</para>
/// <list type="number">
/// <item>Scale isotropically so the image covers 224×224 and crop the centre (ML.NET's default
/// <c>IsoCrop</c>, centre anchor, with its whole-pixel placement). Sampling follows what ML.NET's
/// high filter quality does in Skia: bilinear from the nearest mipmap level when shrinking,
/// Mitchell cubic when enlarging, plain copy at scale 1.</item>
/// <item>Transparent pixels are composited over white. ML.NET composites over black; this is the
/// one deliberate difference, because shop cut-outs are shown on white. Opaque images (all
/// photos) are unaffected.</item>
/// <item>Channels as 0–255 floats, planar, in <b>BGR</b> order, minus the per-pixel ImageNet mean
/// image (3×224×224, means ≈ 103 / 116 / 123). This is what <c>ResNetPreprocess.onnx</c> computes
/// (Split RGB → Concat BGR → Sub MeanImage) from ML.NET's planar RGB 0–255 pixels; it is folded
/// into <see cref="Preprocess"/> with the mean image read from that file, so the model needs one
/// session and the arithmetic runs on the caller's thread.</item>
/// <item>Input <c>Input247</c> [N,3,224,224] → output <c>Pooling395_Output_0</c> [N,512,1,1]
/// (non-negative: ReLU then average pool). The shipped file fixes N = 1; it is rewritten in
/// memory at load so that N images run in one call.</item>
/// </list>
/// </remarks>
public sealed class ResNet18Embedder : IImageEmbedder
{
    /// <summary>Name catalogs use for this model's embedding space.</summary>
    public const string ModelName = "resnet18";

    /// <summary>Path of the model below <see cref="OnnxEmbedderOptions.ModelDirectory"/>.</summary>
    public static readonly string ModelFile = Path.Combine("ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Path of the preprocessing model (source of the mean image) below <see cref="OnnxEmbedderOptions.ModelDirectory"/>.</summary>
    public static readonly string PreprocessFile = Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    internal const int InputSize = 224;
    private const int Channels = 3;
    private const int PlaneLength = InputSize * InputSize;
    private const int FeatureLength = 512;
    private const string InputName = "Input247";
    private const string OutputName = "Pooling395_Output_0";
    private const string MeanImageName = "MeanImage";

    private static readonly string[] InputNames = [InputName];
    private static readonly string[] OutputNames = [OutputName];

    private readonly InferenceSession _session;

    /// <summary>Graph output holding the last block's activations, when the session was started to expose them.</summary>
    private readonly string? _featureMapName;

    /// <summary>Per-pixel mean, planar B, G, R, each 224×224.</summary>
    private readonly float[] _meanImage;

    private int _disposed;

    private ResNet18Embedder(InferenceSession session, string executionProvider, float[] meanImage, string? featureMapName = null)
    {
        _session = session;
        _featureMapName = featureMapName;
        ExecutionProvider = executionProvider;
        _meanImage = meanImage;
    }

    /// <inheritdoc />
    public string Model => ModelName;

    /// <inheritdoc />
    public int Dimension => FeatureLength;

    /// <inheritdoc />
    public string ExecutionProvider { get; }

    /// <inheritdoc />
    public int InputLength => Channels * PlaneLength;

    /// <summary>
    /// Loads the model from <see cref="OnnxEmbedderOptions.ModelDirectory"/> and starts it on the
    /// preferred execution provider. Logs one line saying which provider runs it and why.
    /// </summary>
    /// <exception cref="OptionsValidationException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">A model file is missing; the message names the path.</exception>
    /// <exception cref="InvalidDataException">A model file is not the expected model.</exception>
    /// <exception cref="InvalidOperationException">
    /// <see cref="ExecutionProviderPreference.Cuda"/> was asked for and CUDA cannot start.
    /// </exception>
    public static ResNet18Embedder Create(OnnxEmbedderOptions options, ILogger<ResNet18Embedder> logger) =>
        Create(options, logger, exposeFeatureMap: false);

    /// <summary>
    /// As <see cref="Create(OnnxEmbedderOptions, ILogger{ResNet18Embedder})"/>; with
    /// <paramref name="exposeFeatureMap"/> the graph is edited in memory so that the input of its
    /// final average pool (the last block's [N,512,7,7] activations) is an output too, read by
    /// <see cref="RunFeatureMap"/>. <see cref="Run"/> gives the same vectors either way.
    /// </summary>
    public static ResNet18Embedder Create(OnnxEmbedderOptions options, ILogger<ResNet18Embedder> logger, bool exposeFeatureMap)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new OnnxEmbedderOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(OnnxEmbedderOptions), validation.Failures);
        }

        var started = Stopwatch.GetTimestamp();
        var directory = options.ResolvedModelDirectory;
        var meanImage = ReadMeanImage(ReadModelFile(directory, PreprocessFile, options));
        var file = ReadModelFile(directory, ModelFile, options);
        string? featureMapName = null;
        if (exposeFeatureMap)
        {
            (file, featureMapName) = OnnxModelProto.WithInputOfLastNodeAsOutput(file, "AveragePool");
        }

        var model = OnnxModelProto.WithSymbolicBatch(file);

        var (session, provider) = OnnxSession.Start(model, ModelName, options, logger, started);
        try
        {
            CheckSignature(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return new ResNet18Embedder(session, provider, meanImage, featureMapName);
    }

    /// <summary>Side of the last block's activation map (224 / 32).</summary>
    public const int FeatureMapSide = 7;

    /// <summary>
    /// Runs the model once and returns the last block's activations before pooling: per image
    /// <see cref="Dimension"/> channels × 7 × 7, row-major, not normalised. Their mean over the 49
    /// cells is what <see cref="Run"/> returns before L2 normalisation.
    /// </summary>
    /// <exception cref="InvalidOperationException">The embedder was not created with <c>exposeFeatureMap</c>.</exception>
    public float[] RunFeatureMap(ReadOnlyMemory<float> inputs)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_featureMapName is null)
        {
            throw new InvalidOperationException("This ResNet18 was created without exposeFeatureMap; it has no feature-map output.");
        }

        if (inputs.IsEmpty || inputs.Length % InputLength != 0)
        {
            throw new ArgumentException($"Inputs must be a positive multiple of {InputLength} floats, not {inputs.Length}.", nameof(inputs));
        }

        var count = inputs.Length / InputLength;
        var cells = FeatureMapSide * FeatureMapSide;
        var output = new float[count * FeatureLength * cells];
        using var input = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(inputs), [count, Channels, InputSize, InputSize]);
        using var map = OrtValue.CreateTensorValueFromMemory(output, [count, FeatureLength, FeatureMapSide, FeatureMapSide]);
        using var runOptions = new RunOptions();
        _session.Run(runOptions, InputNames, [input], [_featureMapName], [map]);
        return output;
    }

    /// <inheritdoc />
    /// <remarks>Touches no model state: safe to call from many threads at once.</remarks>
    public void Preprocess(SKBitmap image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != InputLength)
        {
            throw new ArgumentException($"Destination must hold {InputLength} floats, not {destination.Length}.", nameof(destination));
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException("The image has no pixels.", nameof(image));
        }

        using var canvasBitmap = new SKBitmap(new SKImageInfo(InputSize, InputSize, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(canvasBitmap))
        using (var pixmap = image.PeekPixels() ?? throw new ArgumentException("The image's pixels cannot be read.", nameof(image)))
        using (var source = SKImage.FromPixels(pixmap))
        {
            canvas.Clear(SKColors.White);
            var (target, sampling) = Placement(image.Width, image.Height);
            canvas.DrawImage(source, new SKRect(0, 0, image.Width, image.Height), target, sampling);
        }

        // Rgba8888 bytes are R, G, B, A; the model wants planes B, G, R minus the mean image.
        // After the white fill every pixel is opaque, so premultiplied equals straight colour.
        ReadOnlySpan<byte> pixels = canvasBitmap.GetPixelSpan();
        var mean = _meanImage.AsSpan();
        var blue = destination[..PlaneLength];
        var green = destination.Slice(PlaneLength, PlaneLength);
        var red = destination.Slice(2 * PlaneLength, PlaneLength);
        for (int p = 0, i = 0; p < PlaneLength; p++, i += 4)
        {
            blue[p] = pixels[i + 2] - mean[p];
            green[p] = pixels[i + 1] - mean[PlaneLength + p];
            red[p] = pixels[i] - mean[(2 * PlaneLength) + p];
        }
    }

    /// <inheritdoc />
    public float[] Run(ReadOnlyMemory<float> inputs)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (inputs.IsEmpty || inputs.Length % InputLength != 0)
        {
            throw new ArgumentException($"Inputs must be a positive multiple of {InputLength} floats, not {inputs.Length}.", nameof(inputs));
        }

        var count = inputs.Length / InputLength;
        var output = new float[count * FeatureLength];

        // ONNX Runtime reads the caller's memory in place and writes the pooled features straight
        // into the result array: no copies on the CPU path.
        using var input = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(inputs), [count, Channels, InputSize, InputSize]);
        using var features = OrtValue.CreateTensorValueFromMemory(output, [count, FeatureLength, 1, 1]);
        using var runOptions = new RunOptions();
        _session.Run(runOptions, InputNames, [input], OutputNames, [features]);

        UnitRows.Normalise(output.AsSpan(0, count * FeatureLength), FeatureLength);

        return output;
    }

    /// <inheritdoc />
    public float[] Embed(IReadOnlyList<SKBitmap> images) => PreprocessAndRun.Embed(this, images);

    /// <summary>Releases the ONNX Runtime session. Calls still running must finish first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    /// <summary>
    /// Where a <paramref name="width"/>×<paramref name="height"/> image is drawn on the 224×224
    /// canvas, and with which sampling.
    /// </summary>
    /// <remarks>
    /// Same float arithmetic and truncation as ML.NET's centre-anchored <c>IsoCrop</c>, so the
    /// same pixels land in the crop. Example: 400×533 → scale 0.56, drawn at (0, −37) size
    /// 224×298, rows 37..260 of the scaled image kept. The extent is clamped to at least 224 so a
    /// float rounding down (223.99 → 223) cannot leave an unpainted edge row.
    /// Sampling reproduces Skia's legacy "high" quality that ML.NET asks for: it falls back to
    /// bilinear on the nearest mipmap level when shrinking and is Mitchell cubic when enlarging.
    /// </remarks>
    internal static (SKRect Target, SKSamplingOptions Sampling) Placement(int width, int height)
    {
        var widthAspect = (float)InputSize / width;
        var heightAspect = (float)InputSize / height;
        var x = 0;
        var y = 0;
        float scale;
        if (heightAspect < widthAspect)
        {
            scale = widthAspect;
            y = (int)((InputSize - (height * scale)) / 2);
        }
        else
        {
            scale = heightAspect;
            x = (int)((InputSize - (width * scale)) / 2);
        }

        var scaledWidth = Math.Max(InputSize, (int)(width * scale));
        var scaledHeight = Math.Max(InputSize, (int)(height * scale));
        var sampling = scale switch
        {
            < 1 => new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest),
            > 1 => new SKSamplingOptions(SKCubicResampler.Mitchell),
            _ => new SKSamplingOptions(SKFilterMode.Nearest),
        };
        return (new SKRect(x, y, x + scaledWidth, y + scaledHeight), sampling);
    }

    private static byte[] ReadModelFile(string directory, string relativePath, OnnxEmbedderOptions options)
    {
        var path = Path.Combine(directory, relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"ResNet18 model file not found: '{path}'. Builds that reference OutfitFinder.Core copy it there from the "
                + $"Microsoft.ML.DnnImageFeaturizer.ResNet18 package; check {nameof(OnnxEmbedderOptions)}.{nameof(OnnxEmbedderOptions.ModelDirectory)} "
                + $"('{options.ModelDirectory}').",
                path);
        }

        return File.ReadAllBytes(path);
    }

    private static float[] ReadMeanImage(byte[] preprocessModel)
    {
        var (dimensions, values) = OnnxModelProto.ReadFloatInitializer(preprocessModel, MeanImageName);
        if (!dimensions.SequenceEqual([1L, Channels, InputSize, InputSize]))
        {
            throw new InvalidDataException(
                $"{MeanImageName} in {PreprocessFile} has shape [{string.Join(",", dimensions)}], expected [1,{Channels},{InputSize},{InputSize}].");
        }

        return values;
    }

    private static void CheckSignature(InferenceSession session)
    {
        if (!session.InputMetadata.TryGetValue(InputName, out var input)
            || !input.Dimensions.AsSpan().SequenceEqual([-1, Channels, InputSize, InputSize])
            || !session.OutputMetadata.TryGetValue(OutputName, out var output)
            || output.Dimensions.Length != 4 || output.Dimensions[1] != FeatureLength)
        {
            throw new InvalidDataException(
                $"{ModelFile} is not the expected ResNet18: it needs input {InputName} [N,{Channels},{InputSize},{InputSize}] and output {OutputName} [N,{FeatureLength},1,1].");
        }
    }
}
