using OutfitFinder.Core.Extraction.WhiteBox;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

public sealed class ColourCoherenceTests
{
    private const byte White = 4;
    private const byte Red = 6;

    [Fact]
    public void Count_SeparatesABlobFromScatteredPixels_OfTheSameLabel()
    {
        // 16×16 white map (τ = ⌈2.56⌉ = 3): a 4×4 red blob at (2..5, 2..5) and four lone red pixels
        // far from it and from each other. The blob's 16 pixels are coherent, the lone 4 are not, and
        // the white rest (236 pixels) is one component.
        var labels = Labels(16, 16, (x, y) =>
            (x is >= 2 and <= 5 && y is >= 2 and <= 5) || (x, y) is (12, 2) or (2, 12) or (12, 12) or (9, 9));
        var tau = ColourCoherence.MinimumCoherentSize(256);

        var (coherent, incoherent) = ColourCoherence.Count(labels, 16, 16, tau);

        Assert.Equal(3, tau);
        Assert.Equal(16, coherent[Red]);
        Assert.Equal(4, incoherent[Red]);
        Assert.Equal(236, coherent[White]);
        Assert.Equal(0, incoherent[White]);
    }

    [Fact]
    public void Count_JoinsDiagonalNeighbours_WithEightConnectivity()
    {
        // A red diagonal of three pixels: with 4-connectivity three singletons, with 8-connectivity one
        // component of 3, which meets τ = 3. The white remainder splits into two triangles of 3 each.
        var labels = Labels(3, 3, (x, y) => x == y);

        var (coherent, incoherent) = ColourCoherence.Count(labels, 3, 3, 3);

        Assert.Equal(3, coherent[Red]);
        Assert.Equal(0, incoherent[Red]);
        Assert.Equal(6, coherent[White]);
    }

    [Fact]
    public void Compute_CountsAllRedCoherent_ForOneSolidBlob()
    {
        // 64×64 white, τ = ⌈40.96⌉ = 41, with a 10×10 red square at (20..29, 20..29). After the 3×3
        // blur the square's own pixels keep ≥ 4/9 red and the ring around it 2/9 or 3/9 red (G = B = 198
        // or 170: S ≥ 0.22, still red); only the ring's four corners (1/9, S = 0.11) turn white. Red:
        // 12×12 − 4 = 140 coherent pixels; white: the other 3,956, one component.
        var image = TinyImages.Rgb(64, 64, (x, y) => x is >= 20 and < 30 && y is >= 20 and < 30 ? TinyImages.Red : SKColors.White);
        var vector = new float[ColourCoherence.Length];

        ColourCoherence.Compute(image, vector);

        var expected = new float[ColourCoherence.Length];
        expected[2 * Red] = 140 / 4096f;
        expected[2 * White] = 3956 / 4096f;
        Assert.Equal(expected, vector);
    }

    [Fact]
    public void Compute_CountsAllRedIncoherent_ForTheSameColourScattered()
    {
        // 36 red 2×2 squares, 10 pixels apart, on 64×64 white. Each blurs into the same shape as the
        // blob above at a smaller size: 4×4 − 4 = 12 red pixels, far below τ = 41, so all 432 red pixels
        // are incoherent, and the white 3,664 are one coherent component.
        var image = TinyImages.Rgb(64, 64, (x, y) => (x % 10) is 5 or 6 && (y % 10) is 5 or 6 && x < 60 && y < 60 ? TinyImages.Red : SKColors.White);
        var vector = new float[ColourCoherence.Length];

        ColourCoherence.Compute(image, vector);

        var expected = new float[ColourCoherence.Length];
        expected[(2 * Red) + 1] = 432 / 4096f;
        expected[2 * White] = 3664 / 4096f;
        Assert.Equal(expected, vector);
        Assert.Equal(1f, vector.Sum(), 6);
    }

    [Fact]
    public void BoxBlur_AveragesTheThreeByThreeNeighbourhood_WithAReflectedBorder()
    {
        // A lone white pixel at (0, 0) of a black 3×3: reflection makes (−1, ·) read column 1 and
        // (·, −1) read row 1, so (0, 0) averages 1 white of 9 → 255/9 = 28.3 → 28, and so do its
        // neighbours, whose windows also hold it once.
        var image = TinyImages.Rgb(3, 3, (x, y) => (x, y) == (0, 0) ? SKColors.White : SKColors.Black);

        var blurred = ColourCoherence.BoxBlur(image);

        Assert.Equal(28, blurred.Pixels[0]);
        Assert.Equal(28, blurred.Pixels[3 * 4]);
        Assert.Equal(0, blurred.Pixels[3 * 8]);
    }

    [Theory]
    [InlineData(128 * 128, 164)]
    [InlineData(64 * 64, 41)]
    [InlineData(100 * 100, 100)]
    [InlineData(9, 1)]
    public void MinimumCoherentSize_IsOnePercentOfTheAreaRoundedUp(int area, int expected) =>
        Assert.Equal(expected, ColourCoherence.MinimumCoherentSize(area));

    private static byte[] Labels(int width, int height, Func<int, int, bool> red)
    {
        var labels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                labels[(y * width) + x] = red(x, y) ? Red : White;
            }
        }

        return labels;
    }
}
