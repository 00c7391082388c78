namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// Harris–Stephens corners (Alvey Vision Conference 1988) and a fixed-length summary of where they
/// are and how strong they are.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Sobel gradients Ix, Iy of the luma plane (border reflected).</item>
/// <item>Structure tensor entries Ix², Iy², IxIy each smoothed by a Gaussian window, σ = 1 pixel,
/// 7 taps (radius 3σ), weights summing to 1.</item>
/// <item>Response R = det − k·trace² = Ix²·Iy² − (IxIy)² − 0.04·(Ix² + Iy²)²: positive at corners,
/// negative along edges, zero on flat ground.</item>
/// <item>A corner is a pixel with R &gt; 1% of the image's largest R that is a maximum of its 3×3
/// neighbourhood. On a plateau of equal responses the first pixel in raster order wins (a pixel
/// must beat the neighbours before it and at least equal those after it), so a symmetric pair
/// never yields two corners.</item>
/// </list>
/// Summary, 21 values: [0, 16) the share of corners in each cell of a 4×4 grid over the image (rows
/// top to bottom, cells left to right; sums to 1); [16, 20) the share of corners by strength
/// R / max R on a log scale, bins (10⁻², 10⁻¹·⁵], (10⁻¹·⁵, 10⁻¹], (10⁻¹, 10⁻⁰·⁵], (10⁻⁰·⁵, 1] (sums to 1);
/// [20] corner density n / (n + 64), which tells a plain garment (a few silhouette corners) from a
/// printed one (hundreds) and saturates smoothly. All 21 are zero when there is no corner.
/// </remarks>
internal static class HarrisCorners
{
    public const float K = 0.04f;
    public const float WindowSigma = 1f;
    public const float RelativeThreshold = 0.01f;
    public const int GridSize = 4;
    public const int StrengthBins = 4;
    public const int Length = (GridSize * GridSize) + StrengthBins + 1;

    /// <summary>Corner count at which the density value is one half.</summary>
    public const float HalfDensityCount = 64;

    private const int WindowRadius = 3;
    private const float StrengthDecadesPerBin = 0.5f;

    private static readonly float[] Window = GaussianWindow();

    /// <summary>A detected corner: pixel position and its Harris response.</summary>
    public readonly record struct Corner(int X, int Y, float Response);

    /// <summary>Writes the 21-value corner summary of a luma plane into <paramref name="destination"/>.</summary>
    public static void Compute(ReadOnlySpan<float> luma, int width, int height, Span<float> destination)
    {
        var response = Response(luma, width, height);
        Summarise(Detect(response, width, height), response.Max(), width, height, destination);
    }

    /// <summary>Harris response of every pixel, row-major.</summary>
    public static float[] Response(ReadOnlySpan<float> luma, int width, int height)
    {
        if (luma.Length != width * height)
        {
            throw new ArgumentException($"A {width}×{height} plane holds {width * height} values, not {luma.Length}.", nameof(luma));
        }

        var xx = new float[luma.Length];
        var yy = new float[luma.Length];
        var xy = new float[luma.Length];
        for (var y = 0; y < height; y++)
        {
            var up = Border.Reflect(y - 1, height) * width;
            var row = y * width;
            var down = Border.Reflect(y + 1, height) * width;
            for (var x = 0; x < width; x++)
            {
                var left = Border.Reflect(x - 1, width);
                var right = Border.Reflect(x + 1, width);
                var gx = (luma[up + right] + (2 * luma[row + right]) + luma[down + right])
                    - (luma[up + left] + (2 * luma[row + left]) + luma[down + left]);
                var gy = (luma[down + left] + (2 * luma[down + x]) + luma[down + right])
                    - (luma[up + left] + (2 * luma[up + x]) + luma[up + right]);
                xx[row + x] = gx * gx;
                yy[row + x] = gy * gy;
                xy[row + x] = gx * gy;
            }
        }

        Smooth(xx, width, height);
        Smooth(yy, width, height);
        Smooth(xy, width, height);

        var response = xx;
        for (var i = 0; i < response.Length; i++)
        {
            var trace = xx[i] + yy[i];
            response[i] = (xx[i] * yy[i]) - (xy[i] * xy[i]) - (K * trace * trace);
        }

        return response;
    }

    /// <summary>Corners of a response map, in raster order: above the relative threshold and 3×3 maxima.</summary>
    public static List<Corner> Detect(ReadOnlySpan<float> response, int width, int height)
    {
        var corners = new List<Corner>();
        var max = float.MinValue;
        foreach (var value in response)
        {
            max = Math.Max(max, value);
        }

        if (max <= 0)
        {
            return corners;
        }

        var threshold = RelativeThreshold * max;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var value = response[(y * width) + x];
                if (value > threshold && IsPeak(response, width, height, x, y, value))
                {
                    corners.Add(new Corner(x, y, value));
                }
            }
        }

        return corners;
    }

    /// <summary>Writes the 21-value summary of <paramref name="corners"/> found in a <paramref name="width"/>×<paramref name="height"/> image.</summary>
    public static void Summarise(IReadOnlyList<Corner> corners, float maxResponse, int width, int height, Span<float> destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"Destination must hold {Length} floats, not {destination.Length}.", nameof(destination));
        }

        destination.Clear();
        if (corners.Count == 0)
        {
            return;
        }

        var share = 1f / corners.Count;
        foreach (var corner in corners)
        {
            var column = corner.X * GridSize / width;
            var row = corner.Y * GridSize / height;
            destination[(row * GridSize) + column] += share;

            var decades = MathF.Log10(corner.Response / maxResponse) + 2;
            var strength = Math.Clamp((int)MathF.Ceiling(decades / StrengthDecadesPerBin) - 1, 0, StrengthBins - 1);
            destination[(GridSize * GridSize) + strength] += share;
        }

        destination[Length - 1] = corners.Count / (corners.Count + HalfDensityCount);
    }

    private static bool IsPeak(ReadOnlySpan<float> response, int width, int height, int x, int y, float value)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            var ny = y + dy;
            if (ny < 0 || ny >= height)
            {
                continue;
            }

            for (var dx = -1; dx <= 1; dx++)
            {
                var nx = x + dx;
                if ((dx == 0 && dy == 0) || nx < 0 || nx >= width)
                {
                    continue;
                }

                var neighbour = response[(ny * width) + nx];
                var before = dy < 0 || (dy == 0 && dx < 0);
                if (before ? neighbour >= value : neighbour > value)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Separable Gaussian smoothing in place, border reflected.</summary>
    private static void Smooth(float[] plane, int width, int height)
    {
        var line = new float[Math.Max(width, height)];
        for (var y = 0; y < height; y++)
        {
            var row = plane.AsSpan(y * width, width);
            row.CopyTo(line);
            for (var x = 0; x < width; x++)
            {
                var sum = 0f;
                for (var t = -WindowRadius; t <= WindowRadius; t++)
                {
                    sum += Window[t + WindowRadius] * line[Border.Reflect(x + t, width)];
                }

                row[x] = sum;
            }
        }

        for (var x = 0; x < width; x++)
        {
            for (var y = 0; y < height; y++)
            {
                line[y] = plane[(y * width) + x];
            }

            for (var y = 0; y < height; y++)
            {
                var sum = 0f;
                for (var t = -WindowRadius; t <= WindowRadius; t++)
                {
                    sum += Window[t + WindowRadius] * line[Border.Reflect(y + t, height)];
                }

                plane[(y * width) + x] = sum;
            }
        }
    }

    private static float[] GaussianWindow()
    {
        var weights = new float[(2 * WindowRadius) + 1];
        var total = 0f;
        for (var t = -WindowRadius; t <= WindowRadius; t++)
        {
            weights[t + WindowRadius] = MathF.Exp(-(t * t) / (2 * WindowSigma * WindowSigma));
            total += weights[t + WindowRadius];
        }

        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] /= total;
        }

        return weights;
    }
}
