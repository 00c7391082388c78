using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using OutfitFinder.Core.Images;

namespace OutfitFinder.Gateway.Apis;

/// <summary>RFC 7807 responses with a reason a client can act on.</summary>
internal static class Problems
{
    public static ProblemHttpResult Make(int status, string title, string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail });

    public static ProblemHttpResult BadRequest(string detail) => Make(StatusCodes.Status400BadRequest, "Invalid request", detail);

    public static ProblemHttpResult CatalogNotFound(string catalog) =>
        Make(StatusCodes.Status404NotFound, "Catalog not found", $"There is no catalog named '{catalog}'.");

    public static ProblemHttpResult BadCatalogName(string catalog) =>
        BadRequest($"Catalog name '{catalog}' is invalid: use 1–64 lower-case letters, digits, '-' or '_', starting with a letter or digit.");

    /// <summary>413 for images over a limit, 415 for formats we do not read, 400 for damaged data or a box outside the image.</summary>
    public static ProblemHttpResult Image(ImageRejection reason, string detail, int? index = null)
    {
        var where = index is null ? detail : $"Image {index}: {detail}";
        return reason switch
        {
            ImageRejection.TooManyBytes or ImageRejection.TooManyPixels => Make(StatusCodes.Status413PayloadTooLarge, "Image too large", where),
            ImageRejection.BoxOutsideImage => Make(StatusCodes.Status400BadRequest, "Invalid box", where),
            ImageRejection.UnsupportedFormat => Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported image format", where),
            _ => Make(StatusCodes.Status400BadRequest, "Invalid image", where),
        };
    }
}
