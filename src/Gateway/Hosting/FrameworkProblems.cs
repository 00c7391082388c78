using Microsoft.AspNetCore.Http;

namespace OutfitFinder.Gateway.Hosting;

/// <summary>
/// Problems the framework writes itself (routing, model binding, body limits) come without a
/// detail; every problem this API returns says what to fix, so those get one here.
/// </summary>
internal static class FrameworkProblems
{
    public static void AddReason(ProblemDetailsContext context)
    {
        if (!string.IsNullOrEmpty(context.ProblemDetails.Detail))
        {
            return;
        }

        var request = context.HttpContext.Request;
        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            StatusCodes.Status400BadRequest => $"The request to {request.Path} could not be read: check the query string and that the body is valid for this endpoint (see /openapi/v1.json).",
            StatusCodes.Status404NotFound => $"There is no endpoint at {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than Gateway:MaxRequestBytes allows.",
            StatusCodes.Status415UnsupportedMediaType => $"Content type '{request.ContentType ?? "none"}' is not accepted by {request.Method} {request.Path}.",
            _ => context.ProblemDetails.Title,
        };
    }
}
