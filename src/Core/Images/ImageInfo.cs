namespace OutfitFinder.Core.Images;

/// <summary>What an image header says, read without decoding the pixels.</summary>
/// <param name="Format">Lower-case codec name: <c>jpeg</c>, <c>png</c>, <c>webp</c>, <c>bmp</c> or <c>gif</c>.</param>
/// <param name="Width">Stored width in pixels, before EXIF orientation is applied.</param>
/// <param name="Height">Stored height in pixels, before EXIF orientation is applied.</param>
public sealed record ImageInfo(string Format, int Width, int Height)
{
    /// <summary>Width × height: what a full decode of the stored frame allocates per channel.</summary>
    public long Pixels => (long)Width * Height;
}
