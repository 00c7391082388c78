using OutfitFinder.Core.Extraction.WhiteBox;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

public sealed class ColourBinsTests
{
    [Theory]
    [InlineData(0, 0, 0, 0)] // black
    [InlineData(20, 20, 24, 0)] // V 0.09 < 0.2: black whatever the hue
    [InlineData(60, 62, 68, 1)] // charcoal: S 0.12, V 0.27
    [InlineData(140, 140, 145, 2)] // grey: V 0.57
    [InlineData(190, 190, 190, 3)] // light grey: V 0.75
    [InlineData(244, 244, 244, 4)] // studio off-white: V 0.96
    [InlineData(255, 0, 0, 6)] // red: sector 0, bright
    [InlineData(110, 20, 40, 5)] // burgundy: H 347°, sector 0, V 0.43 dark
    [InlineData(0, 0, 255, 20)] // blue: H 240°, sector 7, bright
    [InlineData(28, 40, 82, 17)] // navy: H 227°, sector 6, V 0.32 dark
    [InlineData(20, 130, 130, 15)] // teal: H 180°, sector 5, V 0.51 dark
    [InlineData(214, 168, 40, 8)] // mustard: H 44°, sector 1, V 0.84 bright
    public void Quantise_GivesTheDocumentedBin_ForGarmentColours(int red, int green, int blue, int expected) =>
        Assert.Equal(expected, ColourBins.Quantise(red, green, blue));

    [Fact]
    public void Histogram_SplitsMassExactlyByArea_ForATwoColourImage()
    {
        // 8×8: three columns of red (24 pixels, bin 6), five of blue (40 pixels, bin 20).
        var image = TinyImages.Rgb(8, 8, (x, _) => x < 3 ? TinyImages.Red : TinyImages.Blue);
        var histogram = new float[ColourBins.Count];

        ColourBins.Histogram(image, histogram);

        var expected = new float[ColourBins.Count];
        expected[6] = 24 / 64f;
        expected[20] = 40 / 64f;
        Assert.Equal(expected, histogram);
        Assert.Equal(1f, histogram.Sum(), 6);
    }

    [Fact]
    public void Histogram_PutsBlackAndWhiteInDifferentBins_WhereAHueHistogramCouldNot()
    {
        var image = TinyImages.Rgb(4, 4, (_, y) => y < 1 ? SKColors.Black : SKColors.White);
        var histogram = new float[ColourBins.Count];

        ColourBins.Histogram(image, histogram);

        Assert.Equal(0.25f, histogram[0]);
        Assert.Equal(0.75f, histogram[4]);
    }
}
