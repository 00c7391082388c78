namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// The 25 colours the white-box features count: 5 neutrals by brightness and 10 hues × 2
/// brightness levels, decided in HSV (V = max/255, S = (max − min)/max, H in degrees).
/// </summary>
/// <remarks>
/// <para>Why not a hue histogram weighted by S·V: black, white, grey, charcoal, navy-dark and beige
/// are the commonest garment colours, and a hue histogram gives the first four (almost) no weight,
/// so a black and a white shirt would look alike. Here the neutrals are colours of their own.</para>
/// <list type="table">
/// <item><term>0</term><description>black: V &lt; 0.2, whatever the hue</description></item>
/// <item><term>1–4</term><description>neutral (S &lt; 0.2) by V: [0.2, 0.4) dark grey, [0.4, 0.6) grey,
/// [0.6, 0.8) light grey, [0.8, 1] white</description></item>
/// <item><term>5 + 2h + l</term><description>chromatic: hue sector h = ⌊((H + 18°) mod 360°) / 36°⌋, so
/// sector 0 is red centred on 0°, 1 orange (36°), 2 yellow (72°), 3 yellow-green, 4 green, 5 spring green,
/// 6 azure (216°), 7 blue (252°), 8 violet, 9 magenta (324°); brightness l = 0 for V &lt; 0.6 (dark:
/// navy, burgundy, olive), 1 otherwise</description></item>
/// </list>
/// <para>Examples: pure red (255, 0, 0) → 6; pure blue (0, 0, 255) → 20; navy (28, 40, 82) → 17;
/// studio off-white (244, 244, 244) → 4.</para>
/// </remarks>
internal static class ColourBins
{
    public const int Count = 25;

    private const float DarkLimit = 0.2f;
    private const float NeutralSaturation = 0.2f;
    private const float BrightLimit = 0.6f;
    private const int Neutrals = 5;
    private const int HueSectors = 10;
    private const float SectorDegrees = 360f / HueSectors;

    /// <summary>The bin of one colour given as 0–255 channel values (fractions allowed).</summary>
    public static int Quantise(float red, float green, float blue)
    {
        var max = Math.Max(red, Math.Max(green, blue));
        var min = Math.Min(red, Math.Min(green, blue));
        var value = max / 255f;
        if (value < DarkLimit)
        {
            return 0;
        }

        var chroma = max - min;
        if (chroma / max < NeutralSaturation)
        {
            return Math.Min(Neutrals - 1, 1 + (int)((value - DarkLimit) / 0.2f));
        }

        float hue;
        if (max == red)
        {
            hue = 60f * ((green - blue) / chroma);
        }
        else if (max == green)
        {
            hue = 60f * (2 + ((blue - red) / chroma));
        }
        else
        {
            hue = 60f * (4 + ((red - green) / chroma));
        }

        var shifted = (hue + (SectorDegrees / 2) + 360f) % 360f;
        var sector = Math.Min(HueSectors - 1, (int)(shifted / SectorDegrees));
        return Neutrals + (2 * sector) + (value < BrightLimit ? 0 : 1);
    }

    /// <summary>Bin of every pixel of <paramref name="image"/>, row-major.</summary>
    public static byte[] Label(RgbImage image)
    {
        var labels = new byte[image.Width * image.Height];
        var pixels = image.Pixels;
        for (int p = 0, i = 0; p < labels.Length; p++, i += 3)
        {
            labels[p] = (byte)Quantise(pixels[i], pixels[i + 1], pixels[i + 2]);
        }

        return labels;
    }

    /// <summary>
    /// Writes the share of pixels in each bin into <paramref name="destination"/>
    /// (<see cref="Count"/> floats, summing to 1).
    /// </summary>
    public static void Histogram(RgbImage image, Span<float> destination)
    {
        if (destination.Length != Count)
        {
            throw new ArgumentException($"Destination must hold {Count} floats, not {destination.Length}.", nameof(destination));
        }

        var counts = new int[Count];
        foreach (var label in Label(image))
        {
            counts[label]++;
        }

        var area = (float)(image.Width * image.Height);
        for (var bin = 0; bin < Count; bin++)
        {
            destination[bin] = counts[bin] / area;
        }
    }
}
