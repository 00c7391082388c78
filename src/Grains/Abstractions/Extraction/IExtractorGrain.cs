namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// Turns image bytes into vectors. A stateless worker placed on silos that advertise
/// <c>gpu=true</c> when any is up; each silo's batcher groups concurrent calls into one model run.
/// </summary>
public interface IExtractorGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Decodes and embeds every image of the request. An undecodable image fails alone: its
    /// entry in <see cref="EmbedResult.Failures"/> says why, the others are still embedded.
    /// </summary>
    Task<EmbedResult> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// Images to embed with one model. With a <see cref="Box"/>, only that region of each upright
/// image is embedded; an image the box does not fit fails with reason <c>BoxOutsideImage</c>.
/// With <see cref="Localise"/> (<c>none</c>, <c>fast</c> or <c>thorough</c>; one image only) the
/// image is decoded once and every region of its crop plan inside the box (or the photo) is
/// embedded together: the result holds one row per region, the whole region first.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record EmbedRequest(
    [property: Id(0)] string Model,
    [property: Id(1)] byte[][] Images,
    [property: Id(2)] CropBox? Box = null,
    [property: Id(3)] string? Localise = null);

/// <summary>A region of an upright image in pixels: left, top, width, height.</summary>
[GenerateSerializer, Immutable]
public sealed record CropBox(
    [property: Id(0)] int X,
    [property: Id(1)] int Y,
    [property: Id(2)] int Width,
    [property: Id(3)] int Height);

/// <summary>Why one image could not be embedded; <see cref="Reason"/> is an ImageRejection name.</summary>
[GenerateSerializer, Immutable]
public sealed record ImageFailure(
    [property: Id(0)] int Index,
    [property: Id(1)] string Reason,
    [property: Id(2)] string Message);

/// <summary>
/// Vectors for the images that succeeded, packed as little-endian float bytes in request order
/// (<c>Images.Count × Dimension</c>; rows of failed images are zero), plus the failures.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record EmbedResult(
    [property: Id(0)] int Dimension,
    [property: Id(1)] byte[] Vectors,
    [property: Id(2)] ImageFailure[] Failures,
    [property: Id(3)] string ExecutionProvider);
