using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Gateway.Apis;

/// <summary>Asks an extractor grain (through the <see cref="ExtractorRouter"/>) for vectors and turns per-image failures into 4xx answers.</summary>
public sealed class Embedding(ExtractorRouter extractors)
{
    public async Task<(float[]? Vectors, ProblemHttpResult? Problem)> EmbedAsync(string model, IReadOnlyList<byte[]> images, CancellationToken cancellationToken, ImageBox? box = null)
    {
        var result = await extractors.EmbedAsync(
            new EmbedRequest(model, [.. images], box is { } b ? new CropBox(b.X, b.Y, b.Width, b.Height) : null), cancellationToken);
        if (result.Failures.Length > 0)
        {
            var failure = result.Failures[0];
            var reason = Enum.TryParse<ImageRejection>(failure.Reason, out var parsed) ? parsed : ImageRejection.Corrupt;
            return (null, Problems.Image(reason, failure.Message, images.Count > 1 ? failure.Index : null));
        }

        return (PackedVectors.Unpack(result.Vectors), null);
    }

    /// <summary>
    /// The vectors of the regions of one photo that <paramref name="localisation"/> plans inside
    /// <paramref name="box"/> (or the whole photo), from one extractor call: one row each, the whole
    /// region first. The box alone is <see cref="LocalisationMode.None"/>: one row.
    /// </summary>
    public async Task<(float[][]? Rows, ProblemHttpResult? Problem)> EmbedRegionsAsync(
        string model, byte[] image, ImageBox? box, LocalisationMode localisation, CancellationToken cancellationToken)
    {
        var result = await extractors.EmbedAsync(
            new EmbedRequest(model, [image], box is { } b ? new CropBox(b.X, b.Y, b.Width, b.Height) : null, QueryRegions.Name(localisation)),
            cancellationToken);
        if (result.Failures.Length > 0)
        {
            var failure = result.Failures[0];
            var reason = Enum.TryParse<ImageRejection>(failure.Reason, out var parsed) ? parsed : ImageRejection.Corrupt;
            return (null, Problems.Image(reason, failure.Message, null));
        }

        var all = PackedVectors.Unpack(result.Vectors);
        return ([.. all.Chunk(result.Dimension)], null);
    }
}
