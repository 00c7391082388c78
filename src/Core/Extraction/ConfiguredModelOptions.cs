namespace OutfitFinder.Core.Extraction;

/// <summary>
/// An ONNX image model brought by configuration (<c>Models:NAME</c>): where the file is, how an
/// image becomes its input tensor, and how its output becomes one vector. Served by
/// <see cref="OnnxImageEmbedder"/>; catalogs refer to it by NAME.
/// </summary>
public sealed class ConfiguredModelOptions
{
    /// <summary>
    /// Path of the <c>.onnx</c> file; a relative path is resolved against
    /// <see cref="AppContext.BaseDirectory"/>. Required. Default: none.
    /// </summary>
    public string? File { get; set; }

    /// <summary>Graph input that takes the image tensor. Default: the model's only input.</summary>
    public string? InputName { get; set; }

    /// <summary>Graph output that holds the features. Default: the model's only output.</summary>
    public string? OutputName { get; set; }

    /// <summary>Input width in pixels. Default: 0, read from the model's input shape (which must then be fixed).</summary>
    public int Width { get; set; }

    /// <summary>Input height in pixels. Default: 0, read from the model's input shape (which must then be fixed).</summary>
    public int Height { get; set; }

    /// <summary>How an image is fitted to <see cref="Width"/>×<see cref="Height"/>. Default: <see cref="ResizeMode.CenterCrop"/>.</summary>
    public ResizeMode Resize { get; set; } = ResizeMode.CenterCrop;

    /// <summary>
    /// Factor applied to 0–255 pixel values before <see cref="Mean"/> and <see cref="Std"/>:
    /// 0.00392156862745098 (1/255) for models trained on 0–1 pixels, 1 for 0–255.
    /// Default: 1/255.
    /// </summary>
    public float Scale { get; set; } = 1f / 255f;

    /// <summary>
    /// Three values subtracted after <see cref="Scale"/>, in the model's channel order
    /// (<see cref="ChannelOrder"/>). Default: 0, 0, 0.
    /// </summary>
    public float[]? Mean { get; set; }

    /// <summary>
    /// Three non-zero divisors applied after <see cref="Mean"/>, in the model's channel order.
    /// Default: 1, 1, 1.
    /// </summary>
    public float[]? Std { get; set; }

    /// <summary>Order of the three colour channels the model expects. Default: <see cref="ChannelOrder.Rgb"/>.</summary>
    public ChannelOrder ChannelOrder { get; set; } = ChannelOrder.Rgb;

    /// <summary>
    /// Memory layout of the input tensor, and of a 4-D output pooled with <see cref="PoolingMode.Mean"/>.
    /// Default: <see cref="TensorLayout.Nchw"/>.
    /// </summary>
    public TensorLayout Layout { get; set; } = TensorLayout.Nchw;

    /// <summary>How the output becomes one vector per image. Default: <see cref="PoolingMode.None"/>.</summary>
    public PoolingMode Pooling { get; set; } = PoolingMode.None;

    /// <summary>
    /// Length of the vectors. Default: 0, read from the model's output shape; when set, it must
    /// agree with that shape. Required only when the shape does not fix it.
    /// </summary>
    public int Dimension { get; set; }

    /// <summary><see cref="File"/> as an absolute path.</summary>
    public string ResolvedFile => Path.GetFullPath(File ?? "", AppContext.BaseDirectory);
}

/// <summary>How an image is fitted to the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Scale keeping the aspect ratio until the image covers the input, then cut the centre.</summary>
    CenterCrop,

    /// <summary>Scale width and height independently to the input size.</summary>
    Stretch,
}

/// <summary>Order of the colour channels in the input tensor.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch, CLIP, DINOv2 exports).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and CNTK exports).</summary>
    Bgr,
}

/// <summary>Memory layout of an image tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channels, height, width]: planar (PyTorch).</summary>
    Nchw,

    /// <summary>[batch, height, width, channels]: interleaved (TensorFlow, Keras).</summary>
    Nhwc,
}

/// <summary>How the model's output becomes one vector per image.</summary>
public enum PoolingMode
{
    /// <summary>The output already is one vector per image ([N,D], or [N,D,1,1]); taken as it is.</summary>
    None,

    /// <summary>Average over the spatial positions of a 4-D map ([N,C,H,W] → C) or the tokens of a 3-D output ([N,T,D] → D).</summary>
    Mean,

    /// <summary>The first token of a 3-D output ([N,T,D] → D): the class token of a vision transformer.</summary>
    Cls,
}
