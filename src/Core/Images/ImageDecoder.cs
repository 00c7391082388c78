using SkiaSharp;

namespace OutfitFinder.Core.Images;

/// <summary>
/// Decodes untrusted image bytes with SkiaSharp. Every method throws
/// <see cref="ImageRejectedException"/> (never another exception type) for bad input.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Reads the header only: format and size, checked against <paramref name="limits"/>.</summary>
    public static ImageInfo Inspect(ReadOnlySpan<byte> bytes, ImageLimits limits) =>
        throw new NotImplementedException();

    /// <summary>
    /// Decodes the first frame, applies EXIF orientation, and returns an upright
    /// <see cref="SKColorType.Rgba8888"/> unpremultiplied bitmap owned by the caller.
    /// </summary>
    public static SKBitmap Decode(ReadOnlySpan<byte> bytes, ImageLimits limits) =>
        throw new NotImplementedException();
}
