using System.Numerics.Tensors;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.WhiteBox;
using OutfitFinder.Core.Search;
using OutfitFinder.TestSupport;
using SkiaSharp;
using Garments = OutfitFinder.TestSupport.GarmentImages;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

public sealed class WhiteBoxEmbedderTests
{
    private readonly WhiteBoxEmbedder _embedder = new();

    [Fact]
    public void Embed_ReturnsDimensionUnitNormFloatsPerImage_ForTwoGarments()
    {
        var catalog = GarmentCatalog.Generate(2, seed: 11);
        using var first = Garments.Draw(catalog[0].Spec);
        using var second = Garments.Draw(catalog[1].Spec, 300, 200);

        var vectors = _embedder.Embed([first, second]);

        Assert.Equal(1860, _embedder.Dimension);
        Assert.Equal(_embedder.Dimension, _embedder.InputLength);
        Assert.Equal(_embedder.Dimension, WhiteBoxEmbedder.Layout.Sum(b => b.Length));
        Assert.Equal("whitebox", _embedder.Model);
        Assert.Equal(2 * 1860, vectors.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(vectors.AsSpan(0, 1860)), 5);
        Assert.Equal(1f, TensorPrimitives.Norm(vectors.AsSpan(1860, 1860)), 5);
        Assert.All(vectors, value => Assert.True(value >= 0, "every feature is a magnitude or a share"));
    }

    [Fact]
    public void Layout_PlacesTheFourBlocksEndToEnd_InTheDocumentedOrderAndWeights()
    {
        Assert.Equal(
            [("hog", 0, 1764, 1f), ("colour-histogram", 1764, 25, 1f), ("colour-coherence", 1789, 50, 1f), ("harris", 1839, 21, 0.5f)],
            WhiteBoxEmbedder.Layout.Select(b => (b.Name, b.Offset, b.Length, b.Weight)));
    }

    [Fact]
    public void Embed_GivesEachBlockItsWeightedShareOfTheNorm_ForAGarmentWithEveryFeature()
    {
        var spec = new GarmentSpec(GarmentKind.Top, new SKColor(196, 30, 45), GarmentPattern.Stripes, new SKColor(236, 236, 230), Seed: 5);
        using var garment = Garments.Draw(spec);

        var vector = _embedder.Embed([garment]);

        // Weights 1, 1, 1 and 0.5: squared shares 1/3.25 = 4/13 each and 0.25/3.25 = 1/13.
        float[] expected = [4 / 13f, 4 / 13f, 4 / 13f, 1 / 13f];
        var shares = WhiteBoxEmbedder.Layout.Select(b => TensorPrimitives.SumOfSquares<float>(vector.AsSpan(b.Offset, b.Length)));
        Assert.Equal(expected, shares, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Embed_ReturnsIdenticalVectors_ForTheSameImageTwiceAndFromTwoEmbedders()
    {
        var catalog = GarmentCatalog.Generate(1, seed: 3);
        using var garment = Garments.Draw(catalog[0].Spec);
        using var other = new WhiteBoxEmbedder();

        var first = _embedder.Embed([garment]);
        var second = _embedder.Embed([garment]);
        var third = other.Embed([garment]);

        Assert.Equal(first, second);
        Assert.Equal(first, third);
    }

    [Fact]
    public void PreprocessThenRun_EqualsEmbed_ForABatchOfThree()
    {
        var catalog = GarmentCatalog.Generate(3, seed: 7);
        var images = catalog.Select(item => Garments.Draw(item.Spec)).ToArray();
        try
        {
            var inputs = new float[3 * _embedder.InputLength];
            for (var i = 0; i < 3; i++)
            {
                _embedder.Preprocess(images[i], inputs.AsSpan(i * _embedder.InputLength, _embedder.InputLength));
            }

            var run = _embedder.Run(inputs);

            Assert.Equal(_embedder.Embed(images), run);
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    }

    [Fact]
    public void Embed_KeepsASlightlyResizedCopyCloserThanAnyOtherGarment_UnderEveryMetric()
    {
        // Eight catalog garments (two of each kind) and each one resized from 256 to 240 pixels, as
        // a shop's thumbnailer would: each copy must be nearer its original than every other garment is.
        var catalog = GarmentCatalog.Generate(8, seed: 2024);
        var originals = catalog.Select(item => Garments.Draw(item.Spec)).ToArray();
        var copies = originals.Select(image => Garments.Resize(image, 240, 240)).ToArray();
        try
        {
            var shop = _embedder.Embed(originals);
            var resized = _embedder.Embed(copies);
            var d = _embedder.Dimension;

            foreach (var metric in new[] { DistanceMetric.Cosine, DistanceMetric.L2, DistanceMetric.L1 })
            {
                for (var i = 0; i < catalog.Count; i++)
                {
                    var query = resized.AsSpan(i * d, d);
                    var same = DistanceMetrics.Score(metric, query, shop.AsSpan(i * d, d));
                    for (var j = 0; j < catalog.Count; j++)
                    {
                        if (j == i)
                        {
                            continue;
                        }

                        var other = DistanceMetrics.Score(metric, query, shop.AsSpan(j * d, d));
                        var sameIsBetter = DistanceMetrics.HigherIsBetter(metric) ? same > other : same < other;
                        Assert.True(sameIsBetter, $"{metric}: resized {catalog[i].ProductId} scores {same:F4} against its original, {other:F4} against {catalog[j].ProductId}");
                    }
                }
            }
        }
        finally
        {
            foreach (var image in originals.Concat(copies))
            {
                image.Dispose();
            }
        }
    }

    [Fact]
    public void Embed_KeepsTheCentreSquare_ForAWideImage()
    {
        // 256×128: the cover scale is 1, so the working square is columns 64..191, all red; the blue
        // outer quarters are cropped away and the colour histogram is pure red (bin 6).
        using var wide = TinyImages.Bitmap(256, 128, (x, _) => x is >= 64 and < 192 ? TinyImages.Red : TinyImages.Blue);

        var vector = _embedder.Embed([wide]);

        var colour = WhiteBoxEmbedder.Layout[1];
        var histogram = vector.AsSpan(colour.Offset, colour.Length).ToArray();
        Assert.Equal(Enumerable.Range(0, 25).Select(bin => bin == 6), histogram.Select(value => value > 0));
    }

    [Fact]
    public void Embed_TreatsTransparencyAsWhite()
    {
        using var transparent = Garments.Draw(GarmentCatalog.Generate(1, seed: 1)[0].Spec);
        transparent.Erase(SKColors.Transparent);
        using var white = TinyImages.Bitmap(64, 64, (_, _) => SKColors.White);

        Assert.Equal(_embedder.Embed([white]), _embedder.Embed([transparent]));
    }

    [Fact]
    public void Embed_ReturnsEmpty_ForNoImages() => Assert.Empty(_embedder.Embed([]));

    [Fact]
    public void Preprocess_Throws_WhenTheDestinationIsNotInputLength()
    {
        using var image = TinyImages.Bitmap(8, 8, (_, _) => SKColors.White);

        var error = Assert.Throws<ArgumentException>(() => _embedder.Preprocess(image, new float[100]));

        Assert.Contains("1860", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Throws_ForAPartialRow()
    {
        var error = Assert.Throws<ArgumentException>(() => _embedder.Run(new float[1860 + 5]));

        Assert.Contains("multiple of 1860", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExecutionProvider_SaysCpu_WithNoModelToPlace()
    {
        IImageEmbedder embedder = _embedder;

        Assert.Equal("CPU", embedder.ExecutionProvider);
    }
}
