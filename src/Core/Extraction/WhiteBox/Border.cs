namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// How every white-box filter reads past the image edge: reflected without repeating the edge
/// pixel (OpenCV's <c>BORDER_REFLECT_101</c>: … 2 1 | 0 1 2 … n−1 | n−2 …).
/// </summary>
/// <remarks>
/// With this border a centred difference <c>[-1, 0, 1]</c> or a Sobel kernel is exactly zero across
/// the edge (I(−1) = I(1)), so the image frame never reads as an edge or a corner, and a smoothing
/// kernel at the edge averages real pixels only.
/// </remarks>
internal static class Border
{
    /// <summary>Index inside [0, <paramref name="length"/>) that stands for <paramref name="index"/>, which may lie any distance outside.</summary>
    public static int Reflect(int index, int length)
    {
        if (length == 1)
        {
            return 0;
        }

        while (index < 0 || index >= length)
        {
            index = index < 0 ? -index : (2 * length) - 2 - index;
        }

        return index;
    }
}
