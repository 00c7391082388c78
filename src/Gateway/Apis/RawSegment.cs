using Microsoft.AspNetCore.Http.Features;

namespace OutfitFinder.Gateway.Apis;

/// <summary>
/// Route values arrive percent-decoded except for "%2F", which ASP.NET Core leaves encoded so a
/// path segment never turns into two. Product ids may contain '/', so their segment is decoded
/// from the raw request target instead: "look%2F42" is the id "look/42", and "100%252F" is "100%2F".
/// </summary>
internal static class RawSegment
{
    /// <summary>
    /// The fully decoded path segment that follows <paramref name="marker"/>. Kestrel always
    /// provides the raw target; a host that does not (the in-memory test server) gets "%2F" turned
    /// into '/', which is exact for every id that does not itself contain the text "%2F".
    /// </summary>
    public static string After(HttpContext context, string marker, string routeValue)
    {
        if (!routeValue.Contains('%'))
        {
            return routeValue;
        }

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(rawTarget) || !rawTarget.Contains($"/{marker}/", StringComparison.Ordinal))
        {
            return routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }

        // The last marker, not the first: a catalog may itself be named "products"
        // ("/v1/catalogs/products/products/look%2F42"). No later segment can equal the marker, since
        // the id's raw segment holds a '%' and what follows it is "images/{n}".
        var path = rawTarget.Split('?', 2)[0];
        var segments = path.Split('/');
        var index = Array.LastIndexOf(segments, marker);
        return index >= 0 && index + 1 < segments.Length ? Uri.UnescapeDataString(segments[index + 1]) : routeValue;
    }
}
