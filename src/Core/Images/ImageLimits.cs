namespace OutfitFinder.Core.Images;

/// <summary>
/// What the cluster agrees to decode. Both limits are checked before any full decode: bytes on
/// arrival, pixels from the image header, so a decompression bomb never reaches the decoder.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Largest accepted encoded image, in bytes. Default: 20 MB (20,000,000 bytes).</summary>
    public long MaxBytes { get; init; } = 20_000_000;

    /// <summary>Largest accepted width × height, in pixels. Default: 40 MP (40,000,000 pixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>The limits above: 20 MB and 40 MP.</summary>
    public static ImageLimits Default { get; } = new();
}
