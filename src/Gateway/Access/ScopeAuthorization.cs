using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace OutfitFinder.Gateway.Access;

/// <summary>Endpoint metadata: the scope a route needs (added by <see cref="ScopeEndpointExtensions.RequireScope{TBuilder}"/>).</summary>
public sealed record RequiredScope(ApiScope Scope);

/// <summary>The key must hold <see cref="Scope"/> and, when confined, be allowed the route's <c>{catalog}</c>.</summary>
internal sealed record ScopeRequirement(ApiScope Scope) : IAuthorizationRequirement
{
    public static string PolicyName(ApiScope scope) => $"scope:{scope.Name()}";
}

/// <summary>
/// Checks a key's scopes and catalog confinement. A confined key may not call routes that are not
/// about one catalog (the cluster, the keys): they concern every retailer.
/// </summary>
internal sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http || http.Features.Get<ApiKeyFeature>()?.Key is not { } key)
        {
            // Not authenticated: the evaluator answers 401 (a challenge), not 403.
            return Task.CompletedTask;
        }

        if (!key.Scopes.Contains(requirement.Scope))
        {
            context.Fail(new AuthorizationFailureReason(this,
                $"API key '{key.Id}' lacks the '{requirement.Scope.Name()}' scope this endpoint needs; it has {Describe(key.Scopes)}."));
            return Task.CompletedTask;
        }

        if (key.IsConfined)
        {
            var catalog = http.GetRouteValue("catalog") as string;
            if (catalog is null && http.GetEndpoint()?.Metadata.GetMetadata<ListsCatalogsForConfinedKeys>() is not null)
            {
                // A listing trims its answer to the key's catalogs (CatalogListFilter).
                context.Succeed(requirement);
                return Task.CompletedTask;
            }

            if (catalog is null)
            {
                context.Fail(new AuthorizationFailureReason(this,
                    $"API key '{key.Id}' is limited to {Confinement(key)}; this endpoint concerns every catalog and needs a key without that limit."));
                return Task.CompletedTask;
            }

            if (!key.AllowsCatalog(catalog))
            {
                context.Fail(new AuthorizationFailureReason(this, $"API key '{key.Id}' may not use catalog '{catalog}'; it is limited to {Confinement(key)}."));
                return Task.CompletedTask;
            }
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static string Describe(IReadOnlyList<ApiScope> scopes) =>
        scopes.Count == 0 ? "none" : string.Join(", ", scopes.Select(scope => scope.Name()));

    private static string Confinement(ApiKeyRecord key)
    {
        var parts = new List<string>();
        if (key.Catalogs is { } catalogs)
        {
            parts.Add($"catalogs {string.Join(", ", catalogs.Select(name => $"'{name}'"))}");
        }

        if (key.CatalogPrefix is { } prefix)
        {
            parts.Add($"catalogs starting with '{prefix}'");
        }

        return string.Join(" and ", parts);
    }
}

/// <summary>
/// Answers refusals as problem details with the reason: 401 when no valid key came (with what was
/// wrong with the one that did), 403 when the key may not do this.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            var failure = context.Features.Get<ApiKeyFailure>()?.Reason;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteAsync(context, "API key required", failure
                ?? $"This endpoint needs an API key: send 'Authorization: Bearer <key>' or '{ApiKeyAuthenticationHandler.HeaderName}: <key>'.");
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(reason => reason.Message).ToArray() ?? [];
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteAsync(context, "Not allowed for this key", reasons.Length > 0 ? string.Join(" ", reasons) : "This API key may not call this endpoint.");
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private Task WriteAsync(HttpContext context, string title, string detail) =>
        problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = context.Response.StatusCode, Title = title, Detail = detail },
        }).AsTask();
}
