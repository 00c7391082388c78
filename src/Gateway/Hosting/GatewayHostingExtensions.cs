using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Apis;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Gateway.Hosting;

/// <summary>Everything <c>Program.cs</c> needs, so it stays a page long.</summary>
public static class GatewayHostingExtensions
{
    public static WebApplicationBuilder AddOutfitFinderGateway(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://localhost:5080");
        }

        var configuration = builder.Configuration;
        builder.AddOutfitFinderTelemetry("outfitfinder-gateway");
        // Read now: the mode decides whether this process hosts a silo or is a client of one.
        var cluster = configuration.GetOutfitFinderClusterOptions();

        builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Gateway").ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        builder.Services.AddOptions<HedgingOptions>().BindConfiguration("Gateway:Hedging").ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HedgingOptions>, HedgingOptionsValidator>();
        builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
            kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBytes);
        builder.Services.AddOptions<FormOptions>().Configure<IOptions<GatewayOptions>>((form, gateway) =>
            form.MultipartBodyLengthLimit = gateway.Value.MaxRequestBytes);

        builder.Services.AddOutfitFinderImageLimits(configuration);
        builder.Services.AddOutfitFinderStorage(configuration);
        builder.Services.AddSingleton<CatalogDirectory>();
        builder.Services.AddSingleton<SearchFanOut>();
        builder.Services.AddSingleton<LocalisedSearch>();
        builder.Services.AddSingleton<OutfitFinder.Gateway.Uploads.UploadReader>();
        builder.Services.AddExtractorRouter();
        builder.Services.AddSingleton<OutfitFinder.Gateway.Apis.Embedding>();
        // Enums (an ingestion's state) travel as their camelCase names, as the API documents them.
        // Numbers are numbers only (not also numeric strings, the web default): the OpenAPI document then
        // types a score as a number rather than 'number | string', which generated clients would inherit.
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = FrameworkProblems.AddReason);
        builder.Services.AddOpenApi(options => options.AddOutfitFinderDocumentation().AddOutfitFinderSecuritySchemes());
        builder.Services.AddOutfitFinderAccess(configuration, cluster.Mode);
        builder.Services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        switch (cluster.Mode)
        {
            case ClusterMode.Embedded:
                builder.UseOrleans(silo => silo.AddOutfitFinderClustering(configuration).AddOutfitFinder(configuration));
                break;
            case ClusterMode.Client:
                // Activity propagation carries a search's trace into the grains; the embedded silo adds its own.
                builder.UseOrleansClient(client => client.AddOutfitFinderClustering(configuration).AddActivityPropagation().AddOutfitFinderDashboard(configuration));
                break;
            default:
                throw new UnreachableException($"Cluster:Mode {cluster.Mode} passed validation but has no set-up here.");
        }

        return builder;
    }

    public static WebApplication UseOutfitFinderGateway(this WebApplication app)
    {
        // Bad requests the framework detects itself (body too large, malformed form) keep their
        // 4xx status and become problem details; anything else is a 500 with no internals shown.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            // A client's malformed request is not a server failure: answer it, don't log it as one.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseOutfitFinderAccess();
        app.MapOpenApi().AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Every endpoint of the gateway, in one place so that every host of it (the program, the
    /// benchmarks' in-process gateway) serves the same API.
    /// </summary>
    public static WebApplication MapOutfitFinderEndpoints(this WebApplication app)
    {
        app.MapCatalogsApi();
        app.MapProductsApi();
        app.MapSearchApi();
        app.MapIngestionsApi();
        app.MapVectorsApi();
        app.MapClusterApi();
        app.MapKeysApi();
        app.MapHealthEndpoints();
        // Operators' views: admin keys only (a Prometheus scraping the gateway sends one; silos' own /metrics
        // sit on their internal health port, which carries no key).
        app.MapOutfitFinderMetrics()?.RequireScope(ApiScope.Admin);
        app.MapOutfitFinderDashboard()?.RequireScope(ApiScope.Admin);
        return app;
    }

    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        // Probes carry no key: orchestrators call them.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }
}
