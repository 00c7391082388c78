using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace OutfitFinder.Core.Images;

/// <summary>
/// A rectangle of an upright image (after EXIF orientation) in pixels: its left, top, width and
/// height. Written <c>x,y,w,h</c>, e.g. <c>40,120,200,260</c>.
/// </summary>
/// <remarks>
/// Boxes are in upright coordinates because that is what a person sees and draws on: a phone photo
/// stored sideways with EXIF orientation 6 is shown, and boxed, upright.
/// </remarks>
public readonly record struct ImageBox(int X, int Y, int Width, int Height)
{
    /// <summary>
    /// Parses <c>x,y,w,h</c> (four integers; x, y ≥ 0; w, h ≥ 1). On failure <paramref name="error"/>
    /// says what is wrong with the text in a sentence a client can act on.
    /// </summary>
    public static bool TryParse(string? text, out ImageBox box, out string? error)
    {
        box = default;
        var parts = (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        var values = new int[4];
        if (parts.Length != 4 || !parts.Select((part, i) => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
        {
            error = $"box '{text}' is not four non-negative integers 'x,y,w,h' (left, top, width, height in pixels of the upright image), e.g. '40,120,200,260'.";
            return false;
        }

        if (values[2] < 1 || values[3] < 1)
        {
            error = $"box '{text}' has width {values[2]} and height {values[3]}; both must be at least 1 pixel.";
            return false;
        }

        box = new ImageBox(values[0], values[1], values[2], values[3]);
        error = null;
        return true;
    }

    /// <summary>Null when the box lies wholly inside a <paramref name="width"/> × <paramref name="height"/> image, else why not.</summary>
    public string? OutsideReason(int width, int height) =>
        (long)X + Width <= width && (long)Y + Height <= height
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"box {this} reaches ({(long)X + Width}, {(long)Y + Height}) but the upright image is {width}×{height}; draw the box inside the image.");

    /// <summary>
    /// A new bitmap holding the box's pixels of <paramref name="upright"/>, owned by the caller.
    /// </summary>
    /// <remarks>
    /// The pixels are copied rather than shared through <see cref="SKBitmap.ExtractSubset"/>: a
    /// subset keeps its parent's row stride, and the embedders read pixel rows as one contiguous span.
    /// </remarks>
    /// <exception cref="ImageRejectedException">The box is not inside the image (<see cref="ImageRejection.BoxOutsideImage"/>).</exception>
    public SKBitmap Crop(SKBitmap upright)
    {
        ArgumentNullException.ThrowIfNull(upright);
        if (OutsideReason(upright.Width, upright.Height) is { } reason)
        {
            throw new ImageRejectedException(ImageRejection.BoxOutsideImage, reason);
        }

        if (upright.Info.BytesPerPixel != 4)
        {
            throw new ArgumentException($"Expected a 4-byte-per-pixel bitmap, got {upright.ColorType}.", nameof(upright));
        }

        var cropped = new SKBitmap(upright.Info.WithSize(Width, Height));
        var source = MemoryMarshal.Cast<byte, uint>(upright.GetPixelSpan());
        var target = MemoryMarshal.Cast<byte, uint>(WritablePixels(cropped));
        var sourceStride = upright.RowBytes / 4;
        for (var row = 0; row < Height; row++)
        {
            source.Slice(((Y + row) * sourceStride) + X, Width).CopyTo(target.Slice(row * Width, Width));
        }

        return cropped;
    }

    private static unsafe Span<byte> WritablePixels(SKBitmap bitmap) =>
        new((void*)bitmap.GetPixels(), checked((int)bitmap.Info.BytesSize64));

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{X},{Y},{Width},{Height}");
}
