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
/// Any ONNX image model described by <see cref="ConfiguredModelOptions"/>: resize, channel order,
/// scale, mean and std, layout, then one model call per batch, pooling, and L2 normalisation.
/// </summary>
/// <remarks>
/// Like <see cref="ResNet18Embedder"/>, a model whose batch dimension is fixed at 1 is rewritten in
/// memory to a symbolic batch so N images run in one call, and the session starts on CUDA with a
/// CPU fallback reported in one log line. Transparent pixels are composited over white.
/// </remarks>
public sealed class OnnxImageEmbedder : IImageEmbedder
{
    private readonly InferenceSession _session;
    private readonly ConfiguredModelShape _shape;
    private readonly ConfiguredModelOptions _options;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[] _scale;
    private readonly float[] _offset;
    private int _disposed;

    private OnnxImageEmbedder(string model, InferenceSession session, string provider, ConfiguredModelShape shape, ConfiguredModelOptions options)
    {
        Model = model;
        _session = session;
        ExecutionProvider = provider;
        _shape = shape;
        _options = options;
        _inputNames = [shape.InputName];
        _outputNames = [shape.OutputName];

        // (v·Scale − Mean) / Std folded into one multiply-add per value: v·a + b.
        var mean = options.Mean ?? [0, 0, 0];
        var std = options.Std ?? [1, 1, 1];
        _scale = [.. Enumerable.Range(0, 3).Select(c => options.Scale / std[c])];
        _offset = [.. Enumerable.Range(0, 3).Select(c => -mean[c] / std[c])];
    }

    /// <inheritdoc />
    public string Model { get; }

    /// <inheritdoc />
    public int Dimension => _shape.Dimension;

    /// <inheritdoc />
    public string ExecutionProvider { get; }

    /// <inheritdoc />
    public int InputLength => 3 * _shape.Width * _shape.Height;

    /// <summary>
    /// Reads the model's signature (protobuf only, no session) and settles what the options leave
    /// open: input and output names, input size, vector length.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options do not fit the model; each failure names the setting.</exception>
    public static ConfiguredModelShape Inspect(string model, ConfiguredModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var shape = Inspect(model, options, failures);
        return shape ?? throw new OptionsValidationException(model, typeof(ConfiguredModelOptions), failures);
    }

    /// <summary>Loads the model described by <paramref name="options"/> and starts it on the preferred execution provider.</summary>
    /// <exception cref="OptionsValidationException">The options do not fit the model.</exception>
    /// <exception cref="InvalidOperationException"><see cref="ExecutionProviderPreference.Cuda"/> was asked for and CUDA cannot start.</exception>
    public static OnnxImageEmbedder Create(string model, ConfiguredModelOptions options, OnnxEmbedderOptions onnx, ILogger<OnnxImageEmbedder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onnx);
        ArgumentNullException.ThrowIfNull(logger);
        var started = Stopwatch.GetTimestamp();
        var bytes = System.IO.File.Exists(options.ResolvedFile) ? System.IO.File.ReadAllBytes(options.ResolvedFile) : null;
        var failures = new List<string>();
        var shape = Inspect(model, options, failures, bytes);
        if (shape is null || bytes is null)
        {
            throw new OptionsValidationException(model, typeof(ConfiguredModelOptions), failures);
        }

        var (session, provider) = OnnxSession.Start(OnnxModelProto.WithSymbolicBatch(bytes), model, onnx, logger, started);
        return new OnnxImageEmbedder(model, session, provider, shape, options);
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

        int width = _shape.Width, height = _shape.Height;
        using var canvasBitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(canvasBitmap))
        using (var pixmap = image.PeekPixels() ?? throw new ArgumentException("The image's pixels cannot be read.", nameof(image)))
        using (var source = SKImage.FromPixels(pixmap))
        {
            canvas.Clear(SKColors.White);
            var (target, sampling) = Placement(image.Width, image.Height, width, height, _options.Resize);
            canvas.DrawImage(source, new SKRect(0, 0, image.Width, image.Height), target, sampling);
        }

        // Rgba8888 bytes are R, G, B, A and every pixel is opaque after the white fill. Channel c of
        // the model reads byte c (RGB) or byte 2 − c (BGR).
        ReadOnlySpan<byte> pixels = canvasBitmap.GetPixelSpan();
        var plane = width * height;
        var bgr = _options.ChannelOrder == ChannelOrder.Bgr;
        var planar = _options.Layout == TensorLayout.Nchw;
        for (var c = 0; c < 3; c++)
        {
            var sourceByte = bgr ? 2 - c : c;
            float a = _scale[c], b = _offset[c];
            for (int p = 0, i = sourceByte; p < plane; p++, i += 4)
            {
                destination[planar ? (c * plane) + p : (p * 3) + c] = (pixels[i] * a) + b;
            }
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
        long[] inputShape = _options.Layout == TensorLayout.Nchw
            ? [count, 3, _shape.Height, _shape.Width]
            : [count, _shape.Height, _shape.Width, 3];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(inputs), inputShape);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, _inputNames, [input], _outputNames);
        var outputShape = results[0].GetTensorTypeAndShape().Shape;
        var output = Pool(results[0].GetTensorDataAsSpan<float>(), outputShape, count);

        UnitRows.Normalise(output.AsSpan(0, count * Dimension), Dimension);

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
    /// Where an image is drawn on the <paramref name="width"/>×<paramref name="height"/> canvas and
    /// with which sampling: the same choices as <see cref="ResNet18Embedder"/> (bilinear from the
    /// nearest mipmap when shrinking, Mitchell cubic when enlarging), without its whole-pixel
    /// placement, which only matters for matching ML.NET. Example, CenterCrop 400×533 → 224×224:
    /// scale 0.56, drawn at (0, −37.2) size 224×298.5.
    /// </summary>
    internal static (SKRect Target, SKSamplingOptions Sampling) Placement(int imageWidth, int imageHeight, int width, int height, ResizeMode resize)
    {
        var scaleX = (float)width / imageWidth;
        var scaleY = (float)height / imageHeight;
        SKRect target;
        float scale;
        if (resize == ResizeMode.Stretch)
        {
            scale = Math.Min(scaleX, scaleY);
            target = new SKRect(0, 0, width, height);
        }
        else
        {
            scale = Math.Max(scaleX, scaleY);
            var drawnWidth = imageWidth * scale;
            var drawnHeight = imageHeight * scale;
            var x = (width - drawnWidth) / 2;
            var y = (height - drawnHeight) / 2;
            target = new SKRect(x, y, x + drawnWidth, y + drawnHeight);
        }

        var sampling = scale switch
        {
            < 1 => new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest),
            > 1 => new SKSamplingOptions(SKCubicResampler.Mitchell),
            _ => new SKSamplingOptions(SKFilterMode.Nearest),
        };
        return (target, sampling);
    }

    /// <summary>One row of <see cref="Dimension"/> floats per image from the raw output.</summary>
    private float[] Pool(ReadOnlySpan<float> data, long[] shape, int count)
    {
        var dimension = Dimension;
        var output = new float[count * dimension];
        var perImage = data.Length / count;
        switch (_options.Pooling)
        {
            case PoolingMode.None:
                Require(perImage == dimension, shape);
                data[..output.Length].CopyTo(output);
                break;

            case PoolingMode.Cls:
                Require(shape.Length == 3 && shape[2] == dimension, shape);
                for (var row = 0; row < count; row++)
                {
                    data.Slice(row * perImage, dimension).CopyTo(output.AsSpan(row * dimension));
                }

                break;

            default:
                // [N,C,H,W] planar: channel c is a run of H·W values. [N,H,W,C] and [N,T,D]: a
                // position (token) is a run of C (D) values. Either way, average the positions.
                var channelsFirst = shape.Length == 4 && _options.Layout == TensorLayout.Nchw;
                var channelAxis = channelsFirst ? 1 : shape.Length - 1;
                Require(shape.Length is 3 or 4 && shape[channelAxis] == dimension, shape);
                var positions = perImage / dimension;
                for (var row = 0; row < count; row++)
                {
                    var source = data.Slice(row * perImage, perImage);
                    var target = output.AsSpan(row * dimension, dimension);
                    for (var p = 0; p < positions; p++)
                    {
                        if (channelsFirst)
                        {
                            for (var c = 0; c < dimension; c++)
                            {
                                target[c] += source[(c * positions) + p];
                            }
                        }
                        else
                        {
                            TensorPrimitives.Add(target, source.Slice(p * dimension, dimension), target);
                        }
                    }

                    TensorPrimitives.Divide(target, positions, target);
                }

                break;
        }

        return output;
    }

    private void Require(bool condition, long[] shape)
    {
        if (!condition)
        {
            throw new InvalidDataException(
                $"Model {Model}: output {_shape.OutputName} has shape [{string.Join(",", shape)}], which Pooling {_options.Pooling} cannot turn into {Dimension} values per image.");
        }
    }

    internal static ConfiguredModelShape? Inspect(string model, ConfiguredModelOptions options, List<string> failures, byte[]? bytes = null)
    {
        var prefix = $"Models:{model}";
        var start = failures.Count;
        if (!Enum.IsDefined(options.Resize))
        {
            failures.Add($"{prefix}:Resize must be CenterCrop or Stretch, not {options.Resize}.");
        }

        if (!Enum.IsDefined(options.ChannelOrder))
        {
            failures.Add($"{prefix}:ChannelOrder must be RGB or BGR, not {options.ChannelOrder}.");
        }

        if (!Enum.IsDefined(options.Layout))
        {
            failures.Add($"{prefix}:Layout must be NCHW or NHWC, not {options.Layout}.");
        }

        if (!Enum.IsDefined(options.Pooling))
        {
            failures.Add($"{prefix}:Pooling must be None, Mean or Cls, not {options.Pooling}.");
        }

        if (!float.IsFinite(options.Scale) || options.Scale <= 0)
        {
            failures.Add($"{prefix}:Scale must be a positive number such as 1 or 0.00392156862745098 (1/255), not {options.Scale}.");
        }

        if (options.Mean is { Length: not 3 })
        {
            failures.Add($"{prefix}:Mean must have 3 values (one per channel, in ChannelOrder), not {options.Mean.Length}.");
        }

        if (options.Std is { Length: not 3 })
        {
            failures.Add($"{prefix}:Std must have 3 values (one per channel, in ChannelOrder), not {options.Std.Length}.");
        }
        else if (options.Std is not null && options.Std.Any(s => s == 0 || !float.IsFinite(s)))
        {
            failures.Add($"{prefix}:Std must not contain zero: [{string.Join(", ", options.Std)}].");
        }

        if (options.Width < 0 || options.Height < 0 || options.Dimension < 0)
        {
            failures.Add($"{prefix}:Width, Height and Dimension must be 0 (read from the model) or more.");
        }

        if (string.IsNullOrWhiteSpace(options.File))
        {
            failures.Add($"{prefix}:File must name the model's .onnx file.");
            return null;
        }

        var path = options.ResolvedFile;
        if (bytes is null && !System.IO.File.Exists(path))
        {
            failures.Add($"{prefix}:File: no model file at '{path}'.");
            return null;
        }

        IReadOnlyList<OnnxTensorSignature> inputs, outputs;
        try
        {
            (inputs, outputs) = OnnxModelProto.ReadSignature(bytes ?? System.IO.File.ReadAllBytes(path));
        }
        catch (InvalidDataException ex)
        {
            failures.Add($"{prefix}:File: '{path}' is not an ONNX model ({ex.Message}).");
            return null;
        }

        var input = Pick(prefix, "InputName", options.InputName, inputs, failures);
        var output = Pick(prefix, "OutputName", options.OutputName, outputs, failures);
        if (input is null || output is null || failures.Count > start)
        {
            return null;
        }

        var nchw = options.Layout == TensorLayout.Nchw;
        var dims = input.Dimensions;
        if (dims.Length != 4 || (dims[nchw ? 1 : 3] is var channels && channels > 0 && channels != 3))
        {
            failures.Add($"{prefix}:Layout is {(nchw ? "NCHW" : "NHWC")} but input {input} is not a 3-channel image tensor in that layout.");
            return null;
        }

        var width = Size(prefix, "Width", options.Width, dims[nchw ? 3 : 2], input, failures);
        var height = Size(prefix, "Height", options.Height, dims[nchw ? 2 : 1], input, failures);
        var dimension = OutputDimension(options, output.Dimensions);
        if (options.Dimension > 0 && dimension > 0 && options.Dimension != dimension)
        {
            failures.Add($"{prefix}:Dimension is {options.Dimension} but output {output} with Pooling {options.Pooling} gives {dimension}.");
        }
        else if (options.Dimension > 0)
        {
            dimension = options.Dimension;
        }
        else if (dimension == 0)
        {
            failures.Add($"{prefix}:Pooling {options.Pooling} cannot read a vector length from output {output}; set {prefix}:Dimension or choose another Pooling.");
        }
        else if (dimension < 0)
        {
            failures.Add($"{prefix}:Dimension must be set: output {output} does not fix the vector length.");
        }

        return failures.Count > start ? null : new ConfiguredModelShape(input.Name, output.Name, width, height, dimension);
    }

    /// <summary>Vector length the output shape implies: &gt; 0 known, -1 symbolic, 0 Pooling does not fit the rank.</summary>
    private static int OutputDimension(ConfiguredModelOptions options, long[] dims) => options.Pooling switch
    {
        PoolingMode.None when dims.Length >= 2 => dims.Skip(1).Any(d => d < 0) ? -1 : (int)dims.Skip(1).Aggregate(1L, (a, b) => a * b),
        PoolingMode.Mean when dims.Length == 4 => (int)dims[options.Layout == TensorLayout.Nchw ? 1 : 3],
        PoolingMode.Mean or PoolingMode.Cls when dims.Length == 3 => (int)dims[2],
        _ => 0,
    };

    private static OnnxTensorSignature? Pick(string prefix, string setting, string? name, IReadOnlyList<OnnxTensorSignature> candidates, List<string> failures)
    {
        var available = string.Join(", ", candidates);
        if (string.IsNullOrEmpty(name))
        {
            if (candidates.Count == 1)
            {
                return candidates[0];
            }

            failures.Add($"{prefix}:{setting} must be set: the model has {candidates.Count} ({available}).");
            return null;
        }

        var match = candidates.FirstOrDefault(c => c.Name == name);
        if (match is null)
        {
            failures.Add($"{prefix}:{setting} '{name}' is not in the model; available: {available}.");
        }

        return match;
    }

    private static int Size(string prefix, string setting, int configured, long fromModel, OnnxTensorSignature input, List<string> failures)
    {
        if (configured > 0 && fromModel > 0 && configured != fromModel)
        {
            failures.Add($"{prefix}:{setting} is {configured} but input {input} fixes it at {fromModel}.");
        }
        else if (configured == 0 && fromModel <= 0)
        {
            failures.Add($"{prefix}:{setting} must be set: input {input} does not fix it.");
        }

        return configured > 0 ? configured : (int)fromModel;
    }
}

/// <summary>What a configured model resolves to once its file has been read.</summary>
/// <param name="InputName">Graph input fed with the images.</param>
/// <param name="OutputName">Graph output read for the features.</param>
/// <param name="Width">Input width in pixels.</param>
/// <param name="Height">Input height in pixels.</param>
/// <param name="Dimension">Length of each vector.</param>
public sealed record ConfiguredModelShape(string InputName, string OutputName, int Width, int Height, int Dimension);

/// <summary>
/// Fails start-up with sentences naming the bad <c>Models:NAME</c> setting: a missing file (with
/// the resolved path), input or output names the model lacks (listing those it has), Mean or Std
/// without 3 values, a zero Std, unknown enum values, a Dimension the output contradicts, and a
/// name that collides with a built-in model.
/// </summary>
public sealed class ConfiguredModelOptionsValidator(IEnumerable<string> builtInModels) : IValidateOptions<ConfiguredModelOptions>
{
    private readonly HashSet<string> _builtIn = new(builtInModels, StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ConfiguredModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = name ?? Options.DefaultName;
        var failures = new List<string>();
        if (_builtIn.Contains(model))
        {
            failures.Add($"Models:{model} collides with the built-in model '{model}'; choose another name (built-in: {string.Join(", ", _builtIn)}).");
        }

        OnnxImageEmbedder.Inspect(model, options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
