using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction.Siamese;

public sealed class ProjectedEmbedderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("outfit-heads-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Embed_IsTheHeadAppliedToTheBaseVectors()
    {
        var head = new ProjectionHead("mean-colour", 3, 2, [1, 0, 0, 0, 1, 1], [0, 0]);
        using var embedder = new ProjectedEmbedder(new MeanColourEmbedder(), head, "rg");
        using var red = Solid(new SKColor(200, 0, 0));
        using var cyan = Solid(new SKColor(0, 200, 200));

        var vectors = embedder.Embed([red, cyan]);

        Assert.Equal(("mean-colour+rg", 2), (embedder.Model, embedder.Dimension));
        Assert.Equal([1f, 0f, 0f, 1f], vectors);
    }

    [Fact]
    public void Constructor_Refuses_AHeadTrainedOnAnotherModel()
    {
        var head = new ProjectionHead("resnet18", 3, 2, new float[6], new float[2]);

        var error = Assert.Throws<ArgumentException>(() => new ProjectedEmbedder(new MeanColourEmbedder(), head, "shoes"));

        Assert.Contains("'resnet18'", error.Message);
    }

    [Fact]
    public void HeadFolder_FindsHeadsByName_AndRefusesNamesOutsideIt()
    {
        HeadFile.Save(new ProjectionHead("resnet18", 4, 2, new float[8], [1, 0]), Path.Combine(_folder, "shoes.head"));
        File.WriteAllText(Path.Combine(_folder, "broken.head"), "not a head");
        var heads = new HeadFolder(_folder);

        Assert.Equal(2, heads.Get("resnet18", 4, "shoes").OutputDimension);
        Assert.Equal(["resnet18+shoes"], heads.ModelNames());
        Assert.Contains("does not exist", Assert.Throws<KeyNotFoundException>(() => heads.Get("resnet18", 4, "boots")).Message);
        Assert.Contains("not a valid head name", Assert.Throws<KeyNotFoundException>(() => heads.Get("resnet18", 4, "../shoes")).Message);
        Assert.Contains("use 'resnet18+shoes'", Assert.Throws<KeyNotFoundException>(() => heads.Get("whitebox", 4, "shoes")).Message);
        Assert.Contains("not a head file", Assert.Throws<InvalidDataException>(() => heads.Get("resnet18", 4, "broken")).Message);
    }

    [Theory]
    [InlineData("resnet18+shoes", "resnet18", "shoes")]
    [InlineData("my+model+shoes", "my+model", "shoes")]
    public void HeadModelName_TryParse_SplitsAtTheLastPlus(string model, string expectedBase, string expectedHead)
    {
        Assert.True(HeadModelName.TryParse(model, out var baseModel, out var head));
        Assert.Equal((expectedBase, expectedHead), (baseModel, head));
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("+shoes")]
    [InlineData("resnet18+")]
    public void HeadModelName_TryParse_RefusesNamesWithoutBothParts(string model) =>
        Assert.False(HeadModelName.TryParse(model, out _, out _));

    private static SKBitmap Solid(SKColor colour)
    {
        var bitmap = new SKBitmap(4, 4);
        bitmap.Erase(colour);
        return bitmap;
    }

    /// <summary>A three-value "model": the image's mean red, green and blue.</summary>
    private sealed class MeanColourEmbedder : IImageEmbedder
    {
        public string Model => "mean-colour";

        public int Dimension => 3;

        public string ExecutionProvider => "CPU";

        public int InputLength => 3;

        public void Preprocess(SKBitmap image, Span<float> destination)
        {
            destination.Clear();
            foreach (var pixel in image.Pixels)
            {
                destination[0] += pixel.Red;
                destination[1] += pixel.Green;
                destination[2] += pixel.Blue;
            }
        }

        public float[] Run(ReadOnlyMemory<float> inputs)
        {
            var rows = inputs.ToArray();
            for (var i = 0; i < rows.Length; i += 3)
            {
                var norm = MathF.Sqrt((rows[i] * rows[i]) + (rows[i + 1] * rows[i + 1]) + (rows[i + 2] * rows[i + 2]));
                for (var j = i; j < i + 3; j++)
                {
                    rows[j] /= norm;
                }
            }

            return rows;
        }

        public float[] Embed(IReadOnlyList<SKBitmap> images)
        {
            var inputs = new float[images.Count * 3];
            for (var i = 0; i < images.Count; i++)
            {
                Preprocess(images[i], inputs.AsSpan(i * 3, 3));
            }

            return Run(inputs);
        }

        public void Dispose()
        {
        }
    }
}
