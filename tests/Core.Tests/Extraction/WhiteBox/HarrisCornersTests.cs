using OutfitFinder.Core.Extraction.WhiteBox;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

public sealed class HarrisCornersTests
{
    [Fact]
    public void Detect_FindsExactlyFourCornersAtTheSquaresCornerPixels_ForAWhiteSquareOnBlack()
    {
        // White 8×8 square, pixels 4..11, on a black 16×16. The response is symmetric under both
        // mirrorings of the square, positive only where both gradients meet and negative along the
        // sides, and peaks on each corner pixel of the square itself; the weaker lobes around a
        // corner (≤ 0.73 of the peak) all border a stronger pixel, so 3×3 suppression leaves one each.
        var luma = TinyImages.BlackAndWhite(16, 16, (x, y) => x is >= 4 and <= 11 && y is >= 4 and <= 11).Luma();
        var response = HarrisCorners.Response(luma, 16, 16);

        var corners = HarrisCorners.Detect(response, 16, 16);

        Assert.Equal([(4, 4), (11, 4), (4, 11), (11, 11)], corners.Select(c => (c.X, c.Y)));
        Assert.All(corners, c => Assert.Equal(response.Max(), c.Response));
        Assert.True(response[(4 * 16) + 8] < 0, "the middle of the top side is an edge, not a corner");
    }

    [Fact]
    public void Response_IsMinusKTimesTheSquaredTrace_ForAVerticalEdge()
    {
        // Iy = 0 everywhere, so det = 0 and R = −0.04 · (G ∗ Ix²)²: negative on the edge, zero away
        // from it, and no corner at all. Sobel Ix is 4 on columns 7 and 8 (1 + 2 + 1 across a step of 1),
        // so Ix² = 16 there; the 7-tap window's centre weight w₀ = 1 / (1 + 2e^−½ + 2e^−2 + 2e^−4.5)
        // = 0.3990 and w₁ = w₀e^−½ = 0.2420, so column 7 smooths to 16 (w₀ + w₁) = 10.256 and
        // R = −0.04 × 10.256² = −4.208.
        var luma = TinyImages.BlackAndWhite(16, 16, (x, _) => x >= 8).Luma();

        var response = HarrisCorners.Response(luma, 16, 16);

        var w0 = 1 / (1 + (2 * Math.Exp(-0.5)) + (2 * Math.Exp(-2)) + (2 * Math.Exp(-4.5)));
        var w1 = w0 * Math.Exp(-0.5);
        var trace = 16 * (w0 + w1);
        Assert.Equal(-0.04 * trace * trace, response[(5 * 16) + 7], 3);
        Assert.Equal(0f, response[(5 * 16) + 1]);
        Assert.Empty(HarrisCorners.Detect(response, 16, 16));
    }

    [Fact]
    public void Summarise_CountsCornersByGridCellAndStrength()
    {
        // Four corners in the four outer cells of the 4×4 grid over 16×16, with responses 1, 0.5, 0.05
        // and 0.02 of the maximum: log10 + 2 = 2, 1.70, 0.70 and 0.30 decades above the threshold, so
        // strength bins 3, 3, 1 and 0. Density 4 / (4 + 64).
        HarrisCorners.Corner[] corners = [new(1, 1, 10), new(14, 1, 5), new(1, 14, 0.5f), new(14, 14, 0.2f)];
        var summary = new float[HarrisCorners.Length];

        HarrisCorners.Summarise(corners, 10, 16, 16, summary);

        var expected = new float[21];
        expected[0] = expected[3] = expected[12] = expected[15] = 0.25f;
        expected[16] = 0.25f;
        expected[17] = 0.25f;
        expected[19] = 0.5f;
        expected[20] = 4 / 68f;
        Assert.Equal(expected, summary, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Compute_GivesAllZeros_ForAFlatImage()
    {
        var summary = new float[HarrisCorners.Length];
        summary.AsSpan().Fill(9);

        HarrisCorners.Compute(new float[16 * 16], 16, 16, summary);

        Assert.All(summary, value => Assert.Equal(0f, value));
    }
}
