namespace OutfitFinder.Core.Extraction;

/// <summary>How a CNN's last activation map [C,H,W] becomes one C-long vector.</summary>
public enum FeatureMapPoolingKind
{
    /// <summary>The mean of each channel over the map: what the shipped ResNet18 graph computes.</summary>
    Average,

    /// <summary>Generalised mean, (mean of x^p)^(1/p) with p = 3: between average (p = 1) and max pooling (p → ∞).</summary>
    Gem,

    /// <summary>
    /// R-MAC (Tolias et al. 2016) without PCA whitening: the maximum of each channel over square
    /// regions at three scales, each region's vector L2-normalised, summed.
    /// </summary>
    Rmac,

    /// <summary>
    /// The mean over the 5×5 window of the map whose channels sum highest: the strongest-responding
    /// part of the photo, a saliency crop that costs no second model run.
    /// </summary>
    SalientAverage,
}

/// <summary>Pooling of a CNN activation map into a vector; every result is L2-normalised.</summary>
public static class FeatureMapPooling
{
    /// <summary>Exponent of <see cref="FeatureMapPoolingKind.Gem"/>, the value the GeM paper (Radenović et al.) starts from.</summary>
    public const float GemPower = 3;

    /// <summary>Side of the window <see cref="FeatureMapPoolingKind.SalientAverage"/> keeps, in map cells.</summary>
    public const int SalientWindow = 5;

    /// <summary>
    /// Pools one map (<paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>,
    /// row-major, non-negative as after a ReLU) into <paramref name="destination"/> (<paramref name="channels"/>
    /// floats), L2-normalised.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> map, int channels, int height, int width, FeatureMapPoolingKind kind, Span<float> destination)
    {
        var cells = height * width;
        if (map.Length != channels * cells || destination.Length != channels)
        {
            throw new ArgumentException($"A {channels}×{height}×{width} map needs {channels * cells} floats and a {channels}-float destination.");
        }

        switch (kind)
        {
            case FeatureMapPoolingKind.Average:
                Window(map, channels, height, width, 0, 0, height, width, destination);
                break;
            case FeatureMapPoolingKind.Gem:
                for (var c = 0; c < channels; c++)
                {
                    var sum = 0.0;
                    foreach (var value in map.Slice(c * cells, cells))
                    {
                        var v = Math.Max(value, 1e-6);
                        sum += v * v * v;
                    }

                    destination[c] = (float)Math.Cbrt(sum / cells);
                }

                break;
            case FeatureMapPoolingKind.Rmac:
                Rmac(map, channels, height, width, destination);
                break;
            case FeatureMapPoolingKind.SalientAverage:
                var side = Math.Min(SalientWindow, Math.Min(height, width));
                var (top, left) = StrongestWindow(map, channels, height, width, side);
                Window(map, channels, height, width, top, left, side, side, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pooling.");
        }

        Normalise(destination);
    }

    /// <summary>
    /// The top-left cell of the <paramref name="side"/>×<paramref name="side"/> window whose
    /// activations, summed over channels, are largest; ties go to the first in row order.
    /// </summary>
    public static (int Top, int Left) StrongestWindow(ReadOnlySpan<float> map, int channels, int height, int width, int side)
    {
        var cells = height * width;
        Span<float> energy = stackalloc float[cells];
        energy.Clear();
        for (var c = 0; c < channels; c++)
        {
            var plane = map.Slice(c * cells, cells);
            for (var i = 0; i < cells; i++)
            {
                energy[i] += plane[i];
            }
        }

        var best = (Top: 0, Left: 0);
        var bestSum = float.MinValue;
        for (var top = 0; top + side <= height; top++)
        {
            for (var left = 0; left + side <= width; left++)
            {
                var sum = 0f;
                for (var y = top; y < top + side; y++)
                {
                    for (var x = left; x < left + side; x++)
                    {
                        sum += energy[(y * width) + x];
                    }
                }

                if (sum > bestSum)
                {
                    (bestSum, best) = (sum, (top, left));
                }
            }
        }

        return best;
    }

    private static void Window(ReadOnlySpan<float> map, int channels, int height, int width, int top, int left, int rows, int columns, Span<float> destination)
    {
        var cells = height * width;
        for (var c = 0; c < channels; c++)
        {
            var plane = map.Slice(c * cells, cells);
            var sum = 0f;
            for (var y = top; y < top + rows; y++)
            {
                for (var x = left; x < left + columns; x++)
                {
                    sum += plane[(y * width) + x];
                }
            }

            destination[c] = sum / (rows * columns);
        }
    }

    /// <summary>
    /// Regions as in R-MAC, for a square map: at level l = 1, 2, 3, l×l evenly spaced squares of
    /// side 2·min(H,W)/(l+1) (7×7 map: sides 7, 5 and 4 cells), 1 + 4 + 9 = 14 regions. Public so
    /// that a trainer pooling the same way (<c>outfit-finetune</c>) uses the very same squares.
    /// </summary>
    public static IReadOnlyList<(int Top, int Left, int Side)> RmacRegions(int height, int width)
    {
        var regions = new List<(int Top, int Left, int Side)>();
        for (var level = 1; level <= 3; level++)
        {
            var side = Math.Max(1, (int)MathF.Round(2f * Math.Min(height, width) / (level + 1)));
            side = Math.Min(side, Math.Min(height, width));
            for (var i = 0; i < level; i++)
            {
                for (var j = 0; j < level; j++)
                {
                    var top = level == 1 ? (height - side) / 2 : (int)MathF.Round(i * (height - side) / (float)(level - 1));
                    var left = level == 1 ? (width - side) / 2 : (int)MathF.Round(j * (width - side) / (float)(level - 1));
                    regions.Add((top, left, side));
                }
            }
        }

        return regions;
    }

    /// <summary>
    /// R-MAC over <see cref="RmacRegions"/>: each region's channel maxima are L2-normalised and
    /// added, so no single region dominates.
    /// </summary>
    private static void Rmac(ReadOnlySpan<float> map, int channels, int height, int width, Span<float> destination)
    {
        destination.Clear();
        var cells = height * width;
        var region = new float[channels];
        foreach (var (top, left, side) in RmacRegions(height, width))
        {
            for (var c = 0; c < channels; c++)
            {
                var plane = map.Slice(c * cells, cells);
                var max = float.MinValue;
                for (var y = top; y < top + side; y++)
                {
                    for (var x = left; x < left + side; x++)
                    {
                        max = Math.Max(max, plane[(y * width) + x]);
                    }
                }

                region[c] = max;
            }

            Normalise(region);
            for (var c = 0; c < channels; c++)
            {
                destination[c] += region[c];
            }
        }
    }

    private static void Normalise(Span<float> vector)
    {
        var sum = 0.0;
        foreach (var value in vector)
        {
            sum += value * value;
        }

        if (sum > 0)
        {
            var scale = (float)(1 / Math.Sqrt(sum));
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] *= scale;
            }
        }
    }
}
