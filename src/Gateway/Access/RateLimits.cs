using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// Per-key limits with ASP.NET Core rate limiting: a token bucket per (key, scope) and a
/// concurrency limit on searches by photo per key, chained so that a request needs both.
/// Refusals are 429 problem details with <c>Retry-After</c>.
/// </summary>
internal static class RateLimits
{
    /// <summary>The search route's name: its photo searches are the ones under the concurrency limit.</summary>
    public const string SearchEndpointName = "Search";

    public static PartitionedRateLimiter<HttpContext> Create(LimitsOptions limits, PhotoSearchLimiter photoSearches) =>
        PartitionedRateLimiter.CreateChained(Buckets(limits), photoSearches.ForMultipartSearches());

    /// <summary>The 429's detail when a key has too many searches by photo running.</summary>
    public static string ConcurrencyDetail(string key) =>
        $"API key '{key}' already has as many searches by photo running as Limits:ImageSearchConcurrency allows; retry when one ends.";

    public static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        var key = http.Features.Get<ApiKeyFeature>()?.Key.Id ?? "?";
        var scope = http.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope;
        string detail;
        int seconds;
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            var limit = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value.For(scope ?? ApiScope.Admin);
            detail = $"API key '{key}' has used its '{scope?.Name()}' allowance ({limit.PerSecond} per second, bursts of {limit.Burst}, "
                + $"set by Limits:{scope}); retry after {seconds} s.";
        }
        else
        {
            seconds = 1;
            detail = ConcurrencyDetail(key);
        }

        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = detail },
        });
    }

    private static PartitionedRateLimiter<HttpContext> Buckets(LimitsOptions limits) =>
        PartitionedRateLimiter.Create<HttpContext, (string Key, ApiScope Scope)>(http =>
        {
            if (Caller(http) is not { } key || http.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is not { } required)
            {
                return RateLimitPartition.GetNoLimiter((string.Empty, ApiScope.Search));
            }

            var limit = limits.For(required.Scope);
            return RateLimitPartition.GetTokenBucketLimiter((key, required.Scope), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Burst,
                TokensPerPeriod = limit.PerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });

    /// <summary>The key id to count against; null for the anonymous caller of <c>Auth:Mode=None</c>, which is not limited.</summary>
    public static string? Caller(HttpContext http) =>
        http.Features.Get<ApiKeyFeature>()?.Key is { } key && !ReferenceEquals(key, ApiKeyAuthenticationHandler.Anonymous) ? key.Id : null;
}
