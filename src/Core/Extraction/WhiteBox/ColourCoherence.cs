namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// Colour coherence vector after Pass, Zabih and Miller (ACM Multimedia 1996): for each of the
/// <see cref="ColourBins"/>, how many pixels lie in large same-colour regions (coherent) and how
/// many are scattered (incoherent).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Blur each channel with a 3×3 box (border reflected), so one-pixel noise and anti-aliased
/// edges do not break regions up.</item>
/// <item>Label every blurred pixel with its <see cref="ColourBins"/> bin.</item>
/// <item>Find connected components of equal labels with 8-connectivity (diagonal neighbours
/// join).</item>
/// <item>A pixel is coherent when its component has at least τ = ⌈1% of the image area⌉ pixels
/// (164 at 128×128), incoherent otherwise.</item>
/// </list>
/// Output: 50 values, the pair (coherent, incoherent) for bin 0, then bin 1, …, each a share of the
/// image area, so all 50 sum to 1. Example: a solid 10×10 red square on a white 64×64 image
/// blurs into a 140-pixel red region (the 12×12 square around it less its four corners, whose
/// 1-in-9 red pixel is too pale to leave the white bin), above τ = 41: red (bin 6) is
/// (140/4096, 0) and white (bin 4) is (3956/4096, 0).
/// </remarks>
internal static class ColourCoherence
{
    public const int Length = 2 * ColourBins.Count;

    /// <summary>Smallest coherent region as a share of the image area: 1%, as Pass and Zabih suggest.</summary>
    public const double CoherentAreaShare = 0.01;

    /// <summary>Writes the coherence vector of <paramref name="image"/> into <paramref name="destination"/> (<see cref="Length"/> floats).</summary>
    public static void Compute(RgbImage image, Span<float> destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"Destination must hold {Length} floats, not {destination.Length}.", nameof(destination));
        }

        var area = image.Width * image.Height;
        var labels = ColourBins.Label(BoxBlur(image));
        var (coherent, incoherent) = Count(labels, image.Width, image.Height, MinimumCoherentSize(area));
        for (var bin = 0; bin < ColourBins.Count; bin++)
        {
            destination[2 * bin] = coherent[bin] / (float)area;
            destination[(2 * bin) + 1] = incoherent[bin] / (float)area;
        }
    }

    /// <summary>τ for an image of <paramref name="area"/> pixels: ⌈1% of it⌉, at least 1.</summary>
    public static int MinimumCoherentSize(int area) => Math.Max(1, (int)Math.Ceiling((area * CoherentAreaShare) - 1e-9));

    /// <summary>Each channel averaged over the 3×3 neighbourhood (border reflected), rounded to the nearest level.</summary>
    public static RgbImage BoxBlur(RgbImage image)
    {
        int width = image.Width, height = image.Height;
        var source = image.Pixels;
        var blurred = new byte[source.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                int red = 0, green = 0, blue = 0;
                for (var dy = -1; dy <= 1; dy++)
                {
                    var row = Border.Reflect(y + dy, height) * width;
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var i = 3 * (row + Border.Reflect(x + dx, width));
                        red += source[i];
                        green += source[i + 1];
                        blue += source[i + 2];
                    }
                }

                var o = 3 * ((y * width) + x);
                blurred[o] = (byte)((red + 4) / 9);
                blurred[o + 1] = (byte)((green + 4) / 9);
                blurred[o + 2] = (byte)((blue + 4) / 9);
            }
        }

        return RgbImage.FromPixels(width, height, blurred);
    }

    /// <summary>
    /// Coherent and incoherent pixel counts per bin for a label map: a pixel is coherent when its
    /// 8-connected component of equal labels has at least <paramref name="minimumCoherentSize"/> pixels.
    /// </summary>
    public static (int[] Coherent, int[] Incoherent) Count(ReadOnlySpan<byte> labels, int width, int height, int minimumCoherentSize)
    {
        if (labels.Length != width * height)
        {
            throw new ArgumentException($"A {width}×{height} map holds {width * height} labels, not {labels.Length}.", nameof(labels));
        }

        var coherent = new int[ColourBins.Count];
        var incoherent = new int[ColourBins.Count];
        var visited = new bool[labels.Length];
        var stack = new Stack<int>();
        for (var start = 0; start < labels.Length; start++)
        {
            if (visited[start])
            {
                continue;
            }

            var label = labels[start];
            var size = 0;
            visited[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                size++;
                int px = p % width, py = p / width;
                for (var ny = Math.Max(0, py - 1); ny <= Math.Min(height - 1, py + 1); ny++)
                {
                    for (var nx = Math.Max(0, px - 1); nx <= Math.Min(width - 1, px + 1); nx++)
                    {
                        var n = (ny * width) + nx;
                        if (!visited[n] && labels[n] == label)
                        {
                            visited[n] = true;
                            stack.Push(n);
                        }
                    }
                }
            }

            if (size >= minimumCoherentSize)
            {
                coherent[label] += size;
            }
            else
            {
                incoherent[label] += size;
            }
        }

        return (coherent, incoherent);
    }
}
