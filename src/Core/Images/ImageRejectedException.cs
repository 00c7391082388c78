namespace OutfitFinder.Core.Images;

/// <summary>Why an image was refused. Each maps to one HTTP status at the edge.</summary>
public enum ImageRejection
{
    /// <summary>No bytes at all (400).</summary>
    Empty,
    /// <summary>More bytes than <see cref="ImageLimits.MaxBytes"/> (413).</summary>
    TooManyBytes,
    /// <summary>Header declares more pixels than <see cref="ImageLimits.MaxPixels"/> (413).</summary>
    TooManyPixels,
    /// <summary>Not a JPEG, PNG, WebP, BMP or GIF (415).</summary>
    UnsupportedFormat,
    /// <summary>A supported format whose data cannot be decoded: truncated or damaged (400).</summary>
    Corrupt,
    /// <summary>A crop box that does not lie inside the upright image (400).</summary>
    BoxOutsideImage,
}

/// <summary>An image the cluster will not decode, with a reason a client can act on.</summary>
public sealed class ImageRejectedException(ImageRejection reason, string message) : Exception(message)
{
    /// <summary>Why the image was refused; the edge maps it to an HTTP status.</summary>
    public ImageRejection Reason { get; } = reason;
}
