using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using OutfitFinder.Core.Extraction;
using SkiaSharp;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Extraction;

[Collection(ResNet18Collection.Name)]
public sealed class ResNet18EmbedderTests(ResNet18Fixture fixture)
{
    private readonly ResNet18Embedder _embedder = fixture.Embedder;

    [Fact]
    public void Embed_Returns512UnitNormFloatsPerImage_ForTwoImages()
    {
        using var dress = TestPictures.StripedDress(256);
        using var trousers = TestPictures.PlainTrousers(300);

        var vectors = _embedder.Embed([dress, trousers]);

        Assert.Equal(512, _embedder.Dimension);
        Assert.Equal(2 * 512, vectors.Length);
        Assert.Equal(1.0, Norm(vectors.AsSpan(0, 512)), 4);
        Assert.Equal(1.0, Norm(vectors.AsSpan(512, 512)), 4);
        Assert.All(vectors, value => Assert.True(value >= 0, "pooled ReLU features are never negative"));
        Assert.Equal("resnet18", _embedder.Model);
    }

    [Fact]
    public void Embed_ReturnsIdenticalVectors_WhenCalledTwiceOnTheSameImage()
    {
        using var dress = TestPictures.StripedDress(256);

        var first = _embedder.Embed([dress]);
        var second = _embedder.Embed([dress]);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Embed_ReturnsEmpty_ForNoImages() => Assert.Empty(_embedder.Embed([]));

    [Fact]
    public void Embed_KeepsASlightlyResizedCopyFarCloserThanAnotherGarment()
    {
        using var dress = TestPictures.StripedDress(256);
        using var smallerDress = TestPictures.Resized(dress, 240, 240);
        using var trousers = TestPictures.PlainTrousers(256);

        var vectors = _embedder.Embed([dress, smallerDress, trousers]);
        var sameGarment = Cosine(vectors, 0, 1);
        var otherGarment = Cosine(vectors, 0, 2);

        Assert.True(sameGarment > 0.97, $"dress vs its 240 px copy: cosine {sameGarment:F4}");
        Assert.True(otherGarment < 0.8, $"dress vs trousers: cosine {otherGarment:F4}");
        Assert.True(1 - sameGarment < (1 - otherGarment) / 10, $"same {sameGarment:F4}, other {otherGarment:F4}");
    }

    [Fact]
    public void Embed_GivesTheSameVectorsInOneBatchOfFiveAsInFiveSingleCalls()
    {
        using var images = new DisposableList(
            TestPictures.StripedDress(256),
            TestPictures.PlainTrousers(224),
            TestPictures.StripedDress(400, new SKColor(40, 140, 60)),
            TestPictures.Resized(TestPictures.PlainTrousers(256), 300, 180),
            TestPictures.Solid(120, 90, new SKColor(250, 200, 20)));

        var batch = _embedder.Embed(images.Items);

        for (var i = 0; i < images.Items.Count; i++)
        {
            var single = _embedder.Embed([images.Items[i]]);
            var maxDifference = single.Select((value, k) => Math.Abs(value - batch[(i * 512) + k])).Max();
            Assert.True(maxDifference < 1e-4, $"image {i}: max |batch - single| = {maxDifference}");
        }
    }

    [Theory]
    [InlineData("wide-640x360")]
    [InlineData("small-150x200")]
    [InlineData("exact-224x300")]
    public void Embed_MatchesMlNetDnnFeaturizeImage_OnReferenceImage(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Extraction", "MlNetReference");
        using var image = TestPictures.Load(Path.Combine(folder, name + ".png"));
        var expected = File.ReadAllText(Path.Combine(folder, name + ".features.txt"))
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(token => float.Parse(token, CultureInfo.InvariantCulture))
            .ToArray();

        var actual = _embedder.Embed([image]);

        Assert.Equal(512, expected.Length);
        var cosine = Dot(actual, expected) / Norm(expected);
        Assert.True(cosine >= 0.9999, $"cosine to ML.NET's vector {cosine:F6}");
    }

    [Fact]
    public void Preprocess_EqualsResNetPreprocessOnnx_OnPlanarRgbPixels()
    {
        // At 224×224 the resize is a plain copy, so ML.NET's ExtractPixels output is simply the
        // pixels as planar R, G, B floats; the shipped preprocessing model must turn that into
        // exactly what our folded arithmetic produces.
        using var image = TestPictures.StripedDress(224);
        var rgb = new float[3 * 224 * 224];
        var pixels = image.GetPixelSpan();
        for (var p = 0; p < 224 * 224; p++)
        {
            rgb[p] = pixels[4 * p];
            rgb[(224 * 224) + p] = pixels[(4 * p) + 1];
            rgb[(2 * 224 * 224) + p] = pixels[(4 * p) + 2];
        }

        var modelPath = Path.Combine(AppContext.BaseDirectory, "Models", ResNet18Embedder.PreprocessFile);
        using var session = new InferenceSession(modelPath);
        using var input = OrtValue.CreateTensorValueFromMemory(rgb, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["OriginalInput"], [input], ["PreprocessedInput"]);
        var expected = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        var actual = new float[_embedder.InputLength];
        _embedder.Preprocess(image, actual);

        Assert.Equal(expected.Length, actual.Length);
        var maxDifference = expected.Select((value, i) => Math.Abs(value - actual[i])).Max();
        Assert.True(maxDifference < 1e-4, $"max |onnx - folded| = {maxDifference}");
    }

    [Fact]
    public void Embed_CompositesTransparentPixelsOverWhite()
    {
        using var transparent = TestPictures.Solid(200, 300, SKColors.Transparent);
        using var white = TestPictures.Solid(200, 300, SKColors.White);

        var vectors = _embedder.Embed([transparent, white]);

        Assert.Equal(vectors.AsSpan(0, 512).ToArray(), vectors.AsSpan(512, 512).ToArray());
    }

    [Theory]
    [InlineData(400, 533, 0, -37, 224, 261)] // portrait: crop top and bottom
    [InlineData(533, 400, -37, 0, 261, 224)] // landscape: crop left and right
    [InlineData(224, 224, 0, 0, 224, 224)]
    [InlineData(150, 200, 0, -37, 224, 261)] // enlarged
    public void Placement_MatchesMlNetCenteredIsoCrop(int width, int height, int left, int top, int right, int bottom)
    {
        var (target, _) = ResNet18Embedder.Placement(width, height);

        Assert.Equal(new SKRect(left, top, right, bottom), target);
    }

    [Fact]
    public void Placement_ShrinksFromMipmapsEnlargesWithCubicAndCopiesAtScaleOne()
    {
        Assert.Equal(new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest), ResNet18Embedder.Placement(1800, 2400).Sampling);
        Assert.Equal(new SKSamplingOptions(SKCubicResampler.Mitchell), ResNet18Embedder.Placement(40, 30).Sampling);
        Assert.Equal(new SKSamplingOptions(SKFilterMode.Nearest), ResNet18Embedder.Placement(224, 300).Sampling);
    }

    [Fact]
    public void Run_Throws_WhenInputsAreNotWholeImages()
    {
        var error = Assert.Throws<ArgumentException>(() => _embedder.Run(new float[_embedder.InputLength + 1]));

        Assert.Contains(_embedder.InputLength.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Create_FallsBackToCpuAndLogsOneLineWhy_WhenCudaIsUnavailable()
    {
        Skip.If(_embedder.ExecutionProvider == "CUDA", "CUDA works on this machine, so the CPU fallback is not exercised.");

        Assert.Equal("CPU", _embedder.ExecutionProvider);
        var entry = Assert.Single(fixture.Logger.Entries);
        Assert.Equal(2003, entry.EventId);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("runs on CPU because CUDA device 0 could not be used", entry.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Embed_KeepsTwoRealPhotosApartAndAPhotoCloseToItsThumbnail()
    {
        var images = FindClothingPhotos();
        Skip.If(images is null, "shared/data/clothing is not beside the repository; the real-photo test needs it.");

        using var tshirt = TestPictures.Load(images.Value.First);
        using var other = TestPictures.Load(images.Value.Second);
        using var thumbnail = TestPictures.Resized(tshirt, tshirt.Width * 3 / 4, tshirt.Height * 3 / 4);

        var vectors = _embedder.Embed([tshirt, thumbnail, other]);
        var sameGarment = Cosine(vectors, 0, 1);
        var otherGarment = Cosine(vectors, 0, 2);

        Assert.True(sameGarment > 0.95, $"photo vs its 75% thumbnail: cosine {sameGarment:F4}");
        Assert.True(sameGarment > otherGarment + 0.1, $"same {sameGarment:F4}, other {otherGarment:F4}");
    }

    /// <summary>The first T-shirt and the first pair of shoes listed in shared/data/clothing/images.csv.</summary>
    private static (string First, string Second)? FindClothingPhotos()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
        {
            directory = directory.Parent;
        }

        var dataset = directory?.Parent is { } parent ? Path.Combine(parent.FullName, "shared", "data", "clothing") : null;
        if (dataset is null || !File.Exists(Path.Combine(dataset, "images.csv")))
        {
            return null;
        }

        var rows = File.ReadLines(Path.Combine(dataset, "images.csv")).Skip(1).Select(line => line.Split(',')).ToList();
        string Photo(string label) => Path.Combine(dataset, "images", rows.First(row => row[2] == label)[0] + ".jpg");
        return (Photo("T-Shirt"), Photo("Shoes"));
    }

    private static double Cosine(float[] vectors, int a, int b) =>
        Dot(vectors.AsSpan(a * 512, 512), vectors.AsSpan(b * 512, 512)); // rows are unit length

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Norm(ReadOnlySpan<float> vector) => Math.Sqrt(Dot(vector, vector));

    private sealed class DisposableList(params SKBitmap[] items) : IDisposable
    {
        public IReadOnlyList<SKBitmap> Items { get; } = items;

        public void Dispose()
        {
            foreach (var item in Items)
            {
                item.Dispose();
            }
        }
    }
}

/// <summary>Construction paths that need their own embedder (no shared fixture).</summary>
public sealed class ResNet18EmbedderCreateTests
{
    [Fact]
    public void Create_ThrowsNamingThePath_WhenTheModelFilesAreMissing()
    {
        var empty = Directory.CreateTempSubdirectory("outfit-models-");
        try
        {
            var options = new OnnxEmbedderOptions { ModelDirectory = empty.FullName };

            var error = Assert.Throws<FileNotFoundException>(() => ResNet18Embedder.Create(options, new ListLogger<ResNet18Embedder>()));

            Assert.Contains(empty.FullName, error.Message, StringComparison.Ordinal);
            Assert.Contains("ModelDirectory", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void Create_ThrowsNamingTheOption_WhenIntraOpThreadsIsNegative()
    {
        var options = new OnnxEmbedderOptions { IntraOpThreads = -1 };

        var error = Assert.Throws<OptionsValidationException>(() => ResNet18Embedder.Create(options, new ListLogger<ResNet18Embedder>()));

        Assert.Contains("IntraOpThreads must be 0 (automatic) or more", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RunsOnCpuAndSaysSo_WhenCpuIsConfigured()
    {
        var logger = new ListLogger<ResNet18Embedder>();

        using var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }, logger);

        Assert.Equal("CPU", embedder.ExecutionProvider);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(2002, entry.EventId);
        Assert.Contains("runs on CPU because ExecutionProvider is Cpu", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RunsOnCudaOrFailsNamingCuda_WhenCudaIsRequired()
    {
        var logger = new ListLogger<ResNet18Embedder>();
        var options = new OnnxEmbedderOptions { ExecutionProvider = ExecutionProviderPreference.Cuda };

        try
        {
            using var embedder = ResNet18Embedder.Create(options, logger);
            Assert.Equal("CUDA", embedder.ExecutionProvider);
            Assert.Equal(2001, Assert.Single(logger.Entries).EventId);
        }
        catch (InvalidOperationException error)
        {
            Assert.StartsWith("ExecutionProvider is Cuda but CUDA device 0 could not be used", error.Message, StringComparison.Ordinal);
            Assert.IsType<OnnxRuntimeException>(error.InnerException);
            Assert.Empty(logger.Entries);
        }
    }
}
