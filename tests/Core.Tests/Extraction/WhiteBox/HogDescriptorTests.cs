using OutfitFinder.Core.Extraction.WhiteBox;

namespace OutfitFinder.Core.Tests.Extraction.WhiteBox;

public sealed class HogDescriptorTests
{
    private const int Bins = HogDescriptor.Bins;

    [Fact]
    public void CellHistograms_SplitAVerticalEdgeEquallyBetweenBins0And8_ForABlackWhiteStep()
    {
        // 16×16, black for x < 8, white (luma 1) from x = 8: only columns 7 and 8 have a gradient,
        // gx = L(x+1) − L(x−1) = 1, gy = 0, so θ = 0°, halfway between the centres 170° (bin 8) and
        // 10° (bin 0). Each cell holds 8 rows of one such column: 8 × 1 × ½ = 4 in bins 0 and 8.
        var luma = TinyImages.BlackAndWhite(16, 16, (x, _) => x >= 8).Luma();

        var cells = HogDescriptor.CellHistograms(luma, 16, 16);

        Assert.Equal(4 * Bins, cells.Length);
        for (var cell = 0; cell < 4; cell++)
        {
            var histogram = cells.AsSpan(cell * Bins, Bins).ToArray();
            Assert.Equal([4f, 0, 0, 0, 0, 0, 0, 0, 4f], histogram, (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public void Compute_PutsAllMassInBins0And8OfEveryCell_ForAVerticalEdge()
    {
        // One block of the four cells above: eight values of 4, norm √128, each 1/√8 = 0.3536 > 0.2,
        // so all eight clip to 0.2 and renormalise back to 1/√8. The other 28 values are 0.
        var luma = TinyImages.BlackAndWhite(16, 16, (x, _) => x >= 8).Luma();
        var descriptor = new float[HogDescriptor.Length(16, 16)];

        HogDescriptor.Compute(luma, 16, 16, descriptor);

        Assert.Equal(36, descriptor.Length);
        var expected = new float[36];
        for (var cell = 0; cell < 4; cell++)
        {
            expected[cell * Bins] = 1 / MathF.Sqrt(8);
            expected[(cell * Bins) + 8] = 1 / MathF.Sqrt(8);
        }

        Assert.Equal(expected, descriptor, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void CellHistograms_GiveThreeQuartersToTheNearerBin_ForA45DegreeRamp()
    {
        // L(x, y) = x + y. Inside the image gx = gy = 2: magnitude 2√2 at 45°, between the centres 30°
        // (bin 1) and 50° (bin 2), so bin 1 gets ¼ and bin 2 ¾. In the top-left cell that is 7×7 = 49
        // pixels. The reflected border zeroes the gradient across the frame: row 0 (x = 1..7) keeps only
        // gx = 2 at 0° (1 to bin 0, 1 to bin 8 each), column 0 (y = 1..7) only gy = 2 at 90°, the centre
        // of bin 4 (2 each), and pixel (0, 0) has none.
        var luma = new float[16 * 16];
        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 16; x++)
            {
                luma[(y * 16) + x] = x + y;
            }
        }

        var topLeft = HogDescriptor.CellHistograms(luma, 16, 16).AsSpan(0, Bins).ToArray();

        var diagonal = 49 * 2 * MathF.Sqrt(2);
        float[] expected = [7, diagonal / 4, diagonal * 3 / 4, 0, 14, 0, 0, 0, 7];
        Assert.Equal(expected, topLeft, (a, b) => Math.Abs(a - b) < 1e-3);
    }

    [Fact]
    public void NormaliseL2Hys_ClipsTheDominantValueAndRenormalises()
    {
        // (3, 1, …, 1) with 35 ones: norm √44, so 3/√44 = 0.452 clips to 0.2 and 1/√44 = 0.151 stays;
        // the renormalising norm is √(0.2² + 35/44) = 0.914: 0.2/0.914 = 0.2188, 0.151/0.914 = 0.1649.
        var block = Enumerable.Repeat(1f, 36).ToArray();
        block[0] = 3;

        HogDescriptor.NormaliseL2Hys(block);

        var renorm = MathF.Sqrt(0.04f + (35f / 44));
        Assert.Equal(0.2f / renorm, block[0], 5);
        Assert.All(block.Skip(1), value => Assert.Equal(1 / MathF.Sqrt(44) / renorm, value, 5));
    }

    [Fact]
    public void NormaliseL2Hys_LeavesAnAllZeroBlockZero()
    {
        var block = new float[36];

        HogDescriptor.NormaliseL2Hys(block);

        Assert.All(block, value => Assert.Equal(0f, value));
    }

    [Theory]
    [InlineData(64, 64, 1764)]
    [InlineData(16, 16, 36)]
    [InlineData(23, 16, 36)]
    [InlineData(8, 64, 0)]
    public void Length_CountsWholeBlocksOf36_ForAnImageSize(int width, int height, int expected) =>
        Assert.Equal(expected, HogDescriptor.Length(width, height));
}
