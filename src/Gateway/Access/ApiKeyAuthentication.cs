using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Access;

/// <summary>The key a request was authenticated with, for authorization, rate limits, CORS and the audit log.</summary>
public sealed record ApiKeyFeature(ApiKeyRecord Key);

/// <summary>
/// Why the key a request carried was refused, for the 401's detail: the authentication middleware
/// keeps only successful results, so the reason is kept here.
/// </summary>
internal sealed record ApiKeyFailure(string Reason);

/// <summary>
/// Authenticates a request by its API key (<c>Authorization: Bearer …</c> or <c>X-Api-Key</c>).
/// With <c>Auth:Mode=None</c> every request is the anonymous caller, which holds every scope.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore keys, IOptions<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string HeaderName = "X-Api-Key";

    public const string KeyIdClaim = "key_id";

    public const string ScopeClaim = "scope";

    /// <summary>The caller when keys are off: every scope, every catalog.</summary>
    public static readonly ApiKeyRecord Anonymous = new("anonymous", "anonymous (Auth:Mode=None)", ApiScopes.All, null, null, null, null,
        "", "", DateTimeOffset.MinValue, null);

    /// <summary>The key text a request carries, or null when it carries none.</summary>
    public static string? Presented(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers[HeaderName].ToString();
        return string.IsNullOrWhiteSpace(header) ? null : header.Trim();
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (auth.Value.EffectiveMode == AuthMode.None)
        {
            return Success(Anonymous);
        }

        var presented = Presented(Request);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var (record, failure) = await keys.VerifyAsync(presented, Context.RequestAborted);
        if (record is null)
        {
            Context.Features.Set(new ApiKeyFailure(failure!));
            return AuthenticateResult.Fail(failure!);
        }

        return Success(record);
    }

    private AuthenticateResult Success(ApiKeyRecord key)
    {
        Context.Features.Set(new ApiKeyFeature(key));
        var claims = new List<Claim> { new(KeyIdClaim, key.Id) };
        claims.AddRange(key.Scopes.Select(scope => new Claim(ScopeClaim, scope.Name())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, KeyIdClaim, ScopeClaim));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
