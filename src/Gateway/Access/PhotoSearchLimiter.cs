using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OutfitFinder.Gateway.Apis;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// At most <c>Limits:ImageSearchConcurrency</c> searches by photo running per key: each holds an
/// extractor's time. One limiter, two doors: a multipart search is known to carry a photo before its
/// body is read (the rate-limiting middleware holds a lease for the whole request), a JSON one
/// (<c>{"image": base64}</c>) only after, so the search handler asks here itself.
/// </summary>
public sealed class PhotoSearchLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public PhotoSearchLimiter(IOptions<LimitsOptions> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var permits = limits.Value.ImageSearchConcurrency;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => key.Length == 0
            ? RateLimitPartition.GetNoLimiter(string.Empty)
            : RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 }));
    }

    /// <summary>
    /// A lease for a photo found inside a JSON search, to hold while it is embedded; or a 429 (with
    /// <c>Retry-After</c> set) when the key already has as many running. Both null for the anonymous caller.
    /// </summary>
    public (RateLimitLease? Lease, ProblemHttpResult? Problem) Acquire(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (RateLimits.Caller(http) is not { } key)
        {
            return (null, null);
        }

        var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return (lease, null);
        }

        lease.Dispose();
        http.Response.Headers.RetryAfter = "1";
        return (null, Problems.Make(StatusCodes.Status429TooManyRequests, "Too many requests", RateLimits.ConcurrencyDetail(key)));
    }

    /// <summary>The middleware's door: multipart searches on the search route, by the caller's key.</summary>
    internal PartitionedRateLimiter<HttpContext> ForMultipartSearches() =>
        _limiter.WithTranslatedKey<HttpContext>(http =>
            http.Request.HasFormContentType
            && http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == RateLimits.SearchEndpointName
            && RateLimits.Caller(http) is { } key ? key : string.Empty, leaveOpen: true);

    public void Dispose() => _limiter.Dispose();
}
