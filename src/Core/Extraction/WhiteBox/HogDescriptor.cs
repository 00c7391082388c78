namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// Histogram of oriented gradients after Dalal and Triggs (CVPR 2005), written here because no
/// maintained .NET HOG exists without a native OpenCV dependency.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Gradients by the centred kernel <c>[-1, 0, 1]</c> in x and y (y grows downwards), border
/// reflected (<see cref="Border"/>), so edge pixels have no gradient across the frame.</item>
/// <item>Unsigned orientation θ = atan2(gy, gx) folded into [0°, 180°); 9 bins of 20°, bin b
/// covering [20b, 20b + 20) with its centre at 20b + 10. Each pixel's magnitude is split linearly
/// between the two nearest centres, wrapping at 180°. Worked examples: θ = 45° lies between the
/// centres 30° (bin 1) and 50° (bin 2), so bin 1 gets 0.25 and bin 2 gets 0.75 of the magnitude;
/// θ = 0° (a vertical edge) lies halfway between 170° (bin 8) and 10° (bin 0): half each.</item>
/// <item>Cells of 8×8 pixels; pixels beyond the last whole cell are ignored. No spatial
/// (trilinear) interpolation and no Gaussian block window: only the orientation is
/// interpolated.</item>
/// <item>Blocks of 2×2 cells, stride one cell, each 36 values (cells row by row, 9 bins each),
/// normalised by L2-Hys: v ← v / √(‖v‖² + ε²), clip at 0.2, renormalise the same way, ε = 1e-5.</item>
/// </list>
/// Blocks are laid out row by row. A W×H image gives (W/8 − 1) × (H/8 − 1) × 36 values: 64×64 → 1,764.
/// </remarks>
internal static class HogDescriptor
{
    public const int CellSize = 8;
    public const int BlockCells = 2;
    public const int Bins = 9;
    public const float ClipLimit = 0.2f;
    public const int BlockLength = BlockCells * BlockCells * Bins;

    private const float BinWidthDegrees = 180f / Bins;
    private const float Epsilon = 1e-5f;

    /// <summary>Values for a <paramref name="width"/>×<paramref name="height"/> image; 0 when it holds fewer than 2×2 cells.</summary>
    public static int Length(int width, int height) => BlocksAlong(width) * BlocksAlong(height) * BlockLength;

    /// <summary>Writes the descriptor of a luma plane into <paramref name="destination"/> (<see cref="Length"/> floats).</summary>
    public static void Compute(ReadOnlySpan<float> luma, int width, int height, Span<float> destination)
    {
        if (destination.Length != Length(width, height))
        {
            throw new ArgumentException($"Destination must hold {Length(width, height)} floats, not {destination.Length}.", nameof(destination));
        }

        var cellsX = width / CellSize;
        var cells = CellHistograms(luma, width, height);
        var blocksX = BlocksAlong(width);
        var blocksY = BlocksAlong(height);
        var offset = 0;
        for (var by = 0; by < blocksY; by++)
        {
            for (var bx = 0; bx < blocksX; bx++)
            {
                var block = destination.Slice(offset, BlockLength);
                for (var cy = 0; cy < BlockCells; cy++)
                {
                    for (var cx = 0; cx < BlockCells; cx++)
                    {
                        var cell = ((by + cy) * cellsX) + bx + cx;
                        cells.AsSpan(cell * Bins, Bins).CopyTo(block.Slice(((cy * BlockCells) + cx) * Bins, Bins));
                    }
                }

                NormaliseL2Hys(block);
                offset += BlockLength;
            }
        }
    }

    /// <summary>
    /// Orientation histograms of every whole 8×8 cell, cells row by row, <see cref="Bins"/> floats
    /// each, holding summed gradient magnitude.
    /// </summary>
    public static float[] CellHistograms(ReadOnlySpan<float> luma, int width, int height)
    {
        if (luma.Length != width * height)
        {
            throw new ArgumentException($"A {width}×{height} plane holds {width * height} values, not {luma.Length}.", nameof(luma));
        }

        var cellsX = width / CellSize;
        var cellsY = height / CellSize;
        var histograms = new float[cellsX * cellsY * Bins];
        for (var y = 0; y < cellsY * CellSize; y++)
        {
            var up = Border.Reflect(y - 1, height) * width;
            var down = Border.Reflect(y + 1, height) * width;
            var row = y * width;
            var cellRow = (y / CellSize) * cellsX;
            for (var x = 0; x < cellsX * CellSize; x++)
            {
                var gx = luma[row + Border.Reflect(x + 1, width)] - luma[row + Border.Reflect(x - 1, width)];
                var gy = luma[down + x] - luma[up + x];
                var magnitude = MathF.Sqrt((gx * gx) + (gy * gy));
                if (magnitude == 0)
                {
                    continue;
                }

                var degrees = MathF.Atan2(gy, gx) * (180f / MathF.PI);
                if (degrees < 0)
                {
                    degrees += 180f;
                }

                if (degrees >= 180f)
                {
                    degrees -= 180f;
                }

                // Position in bin-centre units: centre of bin b is at b, so 0° sits at −0.5.
                var position = (degrees / BinWidthDegrees) - 0.5f;
                var lower = (int)MathF.Floor(position);
                var upperShare = position - lower;
                var cell = (cellRow + (x / CellSize)) * Bins;
                histograms[cell + ((lower + Bins) % Bins)] += magnitude * (1 - upperShare);
                histograms[cell + ((lower + 1) % Bins)] += magnitude * upperShare;
            }
        }

        return histograms;
    }

    /// <summary>
    /// L2-Hys in place: L2-normalise, clip every value at <see cref="ClipLimit"/>, L2-normalise again.
    /// Example: 36 values (3, 1, 1, …, 1) → (0.452, 0.151, …) → (0.2, 0.151, …) → (0.219, 0.165, …).
    /// An all-zero block stays zero.
    /// </summary>
    public static void NormaliseL2Hys(Span<float> block)
    {
        ScaleToUnit(block);
        for (var i = 0; i < block.Length; i++)
        {
            block[i] = Math.Min(block[i], ClipLimit);
        }

        ScaleToUnit(block);
    }

    private static void ScaleToUnit(Span<float> block)
    {
        var sumOfSquares = 0f;
        foreach (var value in block)
        {
            sumOfSquares += value * value;
        }

        var scale = 1f / MathF.Sqrt(sumOfSquares + (Epsilon * Epsilon));
        for (var i = 0; i < block.Length; i++)
        {
            block[i] *= scale;
        }
    }

    private static int BlocksAlong(int pixels) => Math.Max(0, (pixels / CellSize) - BlockCells + 1);
}
