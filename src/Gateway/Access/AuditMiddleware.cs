namespace OutfitFinder.Gateway.Access;

/// <summary>
/// One log line for every write and admin call, allowed or refused: key id (never the key),
/// scope, method, route, catalog and the status it was answered with. Searches and reads are not
/// audited: they change nothing and would drown the log.
/// </summary>
internal sealed partial class AuditMiddleware(RequestDelegate next, ILogger<AuditMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        int? failedWith = null;
        try
        {
            await next(context);
        }
        catch (Exception exception)
        {
            // The exception handler, outside this middleware, sets the status later: say now what it will be.
            failedWith = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is { } required
                && (required.Scope == ApiScope.Admin || (required.Scope != ApiScope.Search && !HttpMethods.IsGet(context.Request.Method))))
            {
                var key = context.Features.Get<ApiKeyFeature>()?.Key.Id ?? "none";
                // A group's "" route ends in '/' ("/v1/keys/"); logged as clients write it.
                var route = ((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.ToString()).TrimEnd('/');
                var catalog = context.GetRouteValue("catalog") as string ?? "-";
                var status = failedWith ?? (context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode);
                Audit(logger, key, required.Scope.Name(), context.Request.Method, route, catalog, status, status < 400 ? "done" : status < 500 ? "refused" : "failed");
            }
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, EventName = "Audit",
        Message = "Audit: key {KeyId} ({Scope}) {Method} {Route} catalog {Catalog} → {Status} {Outcome}")]
    private static partial void Audit(ILogger logger, string keyId, string scope, string method, string route, string catalog, int status, string outcome);
}
