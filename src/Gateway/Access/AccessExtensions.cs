using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Gateway.Access;

/// <summary>Keys, scopes, limits, CORS and the audit log: who may call the gateway and how often.</summary>
public static class AccessExtensions
{
    /// <summary>
    /// Registers everything; <paramref name="cluster"/> picks the default <c>Auth:Mode</c> (None
    /// for the embedded gateway, Keys for a client of a cluster).
    /// </summary>
    /// <exception cref="OptionsValidationException"><c>Auth:Mode</c> names no mode.</exception>
    public static IServiceCollection AddOutfitFinderAccess(this IServiceCollection services, IConfiguration configuration, ClusterMode cluster)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Checked before binding: the binder's own error for a misspelt mode names neither the setting's choices nor the fix.
        if (configuration["Auth:Mode"] is { } mode && !string.IsNullOrWhiteSpace(mode) && !Enum.TryParse<AuthMode>(mode, ignoreCase: true, out _))
        {
            throw new OptionsValidationException("Auth", typeof(AuthOptions), [$"Auth:Mode is '{mode}'; use None or Keys."]);
        }

        services.AddOptions<AuthOptions>().BindConfiguration("Auth")
            .PostConfigure(options => options.Mode ??= cluster == ClusterMode.Client ? AuthMode.Keys : AuthMode.None)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<LimitsOptions>().BindConfiguration("Limits").ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();
        services.AddHostedService<AccessStartup>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(options =>
        {
            foreach (var scope in ApiScopes.All)
            {
                options.AddPolicy(ScopeRequirement.PolicyName(scope), policy => policy.AddRequirements(new ScopeRequirement(scope)));
            }

            // An endpoint that declares no scope (one a future change forgets) is admin-only rather than open.
            options.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new ScopeRequirement(ApiScope.Admin)).Build();
        });
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();

        services.AddCors();
        services.AddSingleton<ICorsPolicyProvider, KeyCorsPolicyProvider>();

        services.AddRateLimiter(_ => { });
        services.AddSingleton<PhotoSearchLimiter>();
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>().Configure<IOptions<LimitsOptions>, PhotoSearchLimiter>((limiter, limits, photoSearches) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = RateLimits.Create(limits.Value, photoSearches);
            limiter.OnRejected = RateLimits.RejectAsync;
        });
        services.AddSingleton<ProductQuotaFilter>();
        return services;
    }

    /// <summary>
    /// The request pipeline's access steps, in order: CORS (preflights never need a key), the audit
    /// log around the rest (so refusals are logged too), authentication, authorization, rate limits.
    /// </summary>
    public static IApplicationBuilder UseOutfitFinderAccess(this IApplicationBuilder app)
    {
        app.UseRouting();
        app.UseCors();
        app.UseMiddleware<AuditMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }
}
