using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Core.Telemetry;
using OutfitFinder.Gateway.Apis;

namespace OutfitFinder.Gateway.Search;

/// <summary>
/// Records <c>outfitfinder.search.duration</c> for every search, by catalog and outcome, and tags the request's span
/// with them. A filter rather than code in the handler: the handler has a dozen return paths, the filter sees the one
/// result they all produce.
/// </summary>
internal sealed class SearchMetricsFilter : IEndpointFilter
{
    /// <summary>The outcomes, as the <see cref="OutfitFinderTelemetry.Tags.Outcome"/> tag spells them.</summary>
    internal static class Outcomes
    {
        public const string Ok = "ok";
        public const string Partial = "partial";
        public const string BadRequest = "bad_request";
        public const string NotFound = "not_found";
        public const string Unavailable = "unavailable";
        public const string Cancelled = "cancelled";
        public const string Error = "error";
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = Outcomes.Error;
        try
        {
            var result = await next(context);
            outcome = OutcomeOf(result);
            return result;
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            outcome = Outcomes.Cancelled;
            throw;
        }
        finally
        {
            // An unknown catalog name is the client's text: only names of existing catalogs become a label value.
            var catalog = outcome is Outcomes.Ok or Outcomes.Partial or Outcomes.Unavailable
                ? context.HttpContext.GetRouteValue("catalog") as string ?? ""
                : "";
            OutfitFinderTelemetry.SearchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, catalog),
                new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Outcome, outcome));
            if (Activity.Current is { IsAllDataRequested: true } request)
            {
                request.SetTag(OutfitFinderTelemetry.Tags.Catalog, catalog);
                request.SetTag(OutfitFinderTelemetry.Tags.Outcome, outcome);
            }
        }
    }

    private static string OutcomeOf(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result switch
        {
            Ok<SearchResponse> { Value.Partial: true } => Outcomes.Partial,
            IStatusCodeHttpResult { StatusCode: StatusCodes.Status404NotFound } => Outcomes.NotFound,
            IStatusCodeHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable } => Outcomes.Unavailable,
            IStatusCodeHttpResult { StatusCode: >= 400 and < 500 } => Outcomes.BadRequest,
            IStatusCodeHttpResult { StatusCode: >= 500 } => Outcomes.Error,
            _ => Outcomes.Ok,
        };
    }
}
