using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// CORS origins from <c>Auth:CorsOrigins</c> and from keys. A preflight carries no key, so it is
/// answered for an origin that the settings or any active key allow; the request that follows is
/// then allowed only when the settings or the key it carries list its origin. A browser page's
/// key should be a search-only key: it is visible to anyone who opens the page.
/// </summary>
internal sealed class KeyCorsPolicyProvider(IOptions<AuthOptions> auth, ApiKeyStore keys) : ICorsPolicyProvider
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE"];

    private static readonly string[] Headers = ["Authorization", ApiKeyAuthenticationHandler.HeaderName, "Content-Type"];

    public async Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        if (CorsOrigin.Normalize(context.Request.Headers.Origin.ToString()) is not { } origin)
        {
            return null;
        }

        if (!await AllowsAsync(context, origin))
        {
            return null;
        }

        var policy = new CorsPolicyBuilder().WithOrigins(origin).WithMethods(Methods).WithHeaders(Headers)
            .WithExposedHeaders("Retry-After", "Location").SetPreflightMaxAge(TimeSpan.FromMinutes(10)).Build();
        return policy;
    }

    private async Task<bool> AllowsAsync(HttpContext context, string origin)
    {
        if (auth.Value.CorsOrigins.Any(allowed => CorsOrigin.Normalize(allowed) == origin))
        {
            return true;
        }

        var isPreflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");
        if (isPreflight)
        {
            var active = await keys.ActiveKeysAsync(context.RequestAborted);
            return active.Any(key => Lists(key, origin));
        }

        // CORS runs before authentication, so the key is checked here; an invalid one allows nothing.
        if (ApiKeyAuthenticationHandler.Presented(context.Request) is not { } presented)
        {
            return false;
        }

        var (record, _) = await keys.VerifyAsync(presented, context.RequestAborted);
        return record is not null && Lists(record, origin);
    }

    private static bool Lists(ApiKeyRecord key, string origin) =>
        key.CorsOrigins?.Any(allowed => CorsOrigin.Normalize(allowed) == origin) ?? false;
}
