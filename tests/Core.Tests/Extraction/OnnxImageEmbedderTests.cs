using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Extraction;
using SkiaSharp;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>
/// The shipped ResNet18 file configured as if it were a customer's model: BGR, 0–255, minus the
/// ImageNet plane means (docs/models.md), which is the built-in pipeline with a per-channel mean
/// instead of the mean image.
/// </summary>
[Collection(ResNet18Collection.Name)]
public sealed class OnnxImageEmbedderTests(ResNet18Fixture fixture)
{
    internal static ConfiguredModelOptions ResNetAsCustom(PoolingMode pooling = PoolingMode.Mean) => new()
    {
        File = Path.Combine("Models", "ResNet18Onnx", "ResNet18.onnx"),
        InputName = "Input247",
        OutputName = "Pooling395_Output_0",
        Width = 224,
        Height = 224,
        Resize = ResizeMode.CenterCrop,
        Scale = 1,
        Mean = [103.06f, 115.90f, 123.15f],
        Std = [1, 1, 1],
        ChannelOrder = ChannelOrder.Bgr,
        Pooling = pooling,
    };

    private static OnnxImageEmbedder Load(ConfiguredModelOptions options) =>
        OnnxImageEmbedder.Create("my-resnet", options, new OnnxEmbedderOptions { ExecutionProvider = ExecutionProviderPreference.Cpu },
            new ListLogger<OnnxImageEmbedder>());

    [Fact]
    public void Create_LoadsTheModelOnCpuWithIts512Dimensions_WhenConfiguredAsCustom()
    {
        var logger = new ListLogger<OnnxImageEmbedder>();
        using var embedder = OnnxImageEmbedder.Create("my-resnet", ResNetAsCustom(),
            new OnnxEmbedderOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, logger);

        Assert.Equal("my-resnet", embedder.Model);
        Assert.Equal(512, embedder.Dimension);
        Assert.Equal("CPU", embedder.ExecutionProvider);
        Assert.Equal(3 * 224 * 224, embedder.InputLength);
        Assert.Single(logger.Entries, entry => entry.EventId == 2002);
    }

    [Theory]
    [InlineData(PoolingMode.Mean)]
    [InlineData(PoolingMode.None)]
    public void Embed_ReturnsUnitVectorsCloseToBuiltInResNet18_ForTheSameImages(PoolingMode pooling)
    {
        using var embedder = Load(ResNetAsCustom(pooling));
        using var dress = TestPictures.StripedDress(256);
        using var tall = TestPictures.Resized(TestPictures.PlainTrousers(300), 300, 400);
        using var photo = TestPictures.Load(Path.Combine("Extraction", "MlNetReference", "wide-640x360.png"));
        SKBitmap[] images = [dress, tall, photo];

        var custom = embedder.Embed(images);
        var builtIn = fixture.Embedder.Embed(images);

        Assert.Equal(images.Length * 512, custom.Length);
        for (var i = 0; i < images.Length; i++)
        {
            var a = custom.AsSpan(i * 512, 512);
            Assert.Equal(1.0, TensorPrimitives.Norm<float>(a), 4);
            // Measured 0.99741 (300×400), 0.99968 (640×360), 0.99976 (256×256): the built-in subtracts
            // a mean image, this a per-channel mean, and places the crop with sub-pixel rather than
            // whole-pixel offsets.
            var cosine = TensorPrimitives.CosineSimilarity<float>(a, builtIn.AsSpan(i * 512, 512));
            Assert.True(cosine > 0.99, $"image {i}: cosine to built-in resnet18 {cosine:F5}");
        }
    }

    [Fact]
    public void Embed_GivesTheSameVectorsInOneBatchAsOneByOne()
    {
        using var embedder = Load(ResNetAsCustom());
        using var dress = TestPictures.StripedDress(256);
        using var trousers = TestPictures.PlainTrousers(200);
        using var wide = TestPictures.Resized(TestPictures.StripedDress(256), 400, 250);

        var batch = embedder.Embed([dress, trousers, wide]);
        float[] singles = [.. embedder.Embed([dress]), .. embedder.Embed([trousers]), .. embedder.Embed([wide])];

        Assert.Equal(singles.Length, batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            Assert.Equal(singles[i], batch[i], 5);
        }
    }

    [Fact]
    public void Inspect_ReadsNamesSizeAndDimensionFromTheModel_WhenLeftUnset()
    {
        var shape = OnnxImageEmbedder.Inspect("my-resnet", new ConfiguredModelOptions
        {
            File = ResNetAsCustom().File,
            Pooling = PoolingMode.None,
        });

        Assert.Equal(new ConfiguredModelShape("Input247", "Pooling395_Output_0", 224, 224, 512), shape);
    }

    [Fact]
    public void Preprocess_AppliesScaleMeanStdInChannelOrder_ForAFlatColour()
    {
        using var embedder = Load(new ConfiguredModelOptions
        {
            File = ResNetAsCustom().File,
            Scale = 1f / 255,
            Mean = [0.5f, 0.25f, 0],
            Std = [0.5f, 0.25f, 2],
            ChannelOrder = ChannelOrder.Rgb,
        });
        using var red = TestPictures.Solid(50, 80, new SKColor(255, 0, 51));
        var input = new float[embedder.InputLength];

        embedder.Preprocess(red, input);

        const int plane = 224 * 224;
        Assert.All(input[..plane], v => Assert.Equal(1f, v, 5));                   // (1 − 0.5) / 0.5
        Assert.All(input[plane..(2 * plane)], v => Assert.Equal(-1f, v, 5));       // (0 − 0.25) / 0.25
        Assert.All(input[(2 * plane)..], v => Assert.Equal(0.1f, v, 5));           // (0.2 − 0) / 2
    }
}

public sealed class ConfiguredModelOptionsValidatorTests
{
    private static readonly ConfiguredModelOptionsValidator Validator = new(["resnet18", "whitebox"]);

    private static string Failure(ConfiguredModelOptions options, string name = "my-resnet")
    {
        var result = Validator.Validate(name, options);
        Assert.True(result.Failed, "validation should fail");
        return result.FailureMessage;
    }

    [Fact]
    public void Validate_Succeeds_ForTheResNetFileConfiguredAsCustom() =>
        Assert.True(Validator.Validate("my-resnet", OnnxImageEmbedderTests.ResNetAsCustom()).Succeeded);

    [Fact]
    public void Validate_NamesTheResolvedPath_WhenTheFileIsMissing()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.File = "Models/nowhere.onnx";

        var message = Failure(options);

        Assert.Contains("Models:my-resnet:File", message);
        Assert.Contains(Path.Combine(AppContext.BaseDirectory, "Models", "nowhere.onnx"), message);
    }

    [Fact]
    public void Validate_ListsTheModelsInputs_WhenInputNameIsNotInTheModel()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.InputName = "pixel_values";

        var message = Failure(options);

        Assert.Contains("Models:my-resnet:InputName 'pixel_values' is not in the model; available: Input247 [1,3,224,224]", message);
    }

    [Fact]
    public void Validate_ListsTheModelsOutputs_WhenOutputNameIsNotInTheModel()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.OutputName = "pooler_output";

        var message = Failure(options);

        Assert.Contains("Models:my-resnet:OutputName 'pooler_output' is not in the model; available: Pooling395_Output_0 [1,512,1,1]", message);
    }

    [Fact]
    public void Validate_Fails_WhenMeanOrStdDoNotHaveThreeValues()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.Mean = [0.5f];
        options.Std = [1, 1, 1, 1];

        var message = Failure(options);

        Assert.Contains("Models:my-resnet:Mean must have 3 values", message);
        Assert.Contains("Models:my-resnet:Std must have 3 values", message);
    }

    [Fact]
    public void Validate_Fails_WhenStdHasAZero()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.Std = [1, 0, 1];

        Assert.Contains("Models:my-resnet:Std must not contain zero", Failure(options));
    }

    [Fact]
    public void Validate_NamesEachSetting_WhenEnumValuesAreUnknown()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.Resize = (ResizeMode)7;
        options.ChannelOrder = (ChannelOrder)7;
        options.Layout = (TensorLayout)7;
        options.Pooling = (PoolingMode)7;

        var message = Failure(options);

        Assert.Contains("Models:my-resnet:Resize must be CenterCrop or Stretch", message);
        Assert.Contains("Models:my-resnet:ChannelOrder must be RGB or BGR", message);
        Assert.Contains("Models:my-resnet:Layout must be NCHW or NHWC", message);
        Assert.Contains("Models:my-resnet:Pooling must be None, Mean or Cls", message);
    }

    [Fact]
    public void Validate_Fails_WhenDimensionDisagreesWithTheOutput()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.Dimension = 768;

        Assert.Contains("Models:my-resnet:Dimension is 768 but output Pooling395_Output_0 [1,512,1,1] with Pooling Mean gives 512", Failure(options));
    }

    [Fact]
    public void Validate_Fails_WhenWidthDisagreesWithTheInput()
    {
        var options = OnnxImageEmbedderTests.ResNetAsCustom();
        options.Width = 256;

        Assert.Contains("Models:my-resnet:Width is 256 but input Input247 [1,3,224,224] fixes it at 224", Failure(options));
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("WhiteBox")]
    public void Validate_Fails_WhenTheNameCollidesWithABuiltInModel(string name) =>
        Assert.Contains($"Models:{name} collides with the built-in model", Failure(OnnxImageEmbedderTests.ResNetAsCustom(), name));
}
