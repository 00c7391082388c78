using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
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
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Gateway")
            .Validate(o => o.SearchTimeout > TimeSpan.Zero, "Gateway:SearchTimeout must be positive.")
            .Validate(o => o.MaxRequestBytes > 0, "Gateway:MaxRequestBytes must be positive.")
            .Validate(o => o.MaxImagesPerProduct >= 1, "Gateway:MaxImagesPerProduct must be at least 1.")
            .Validate(o => o.MaxK >= 1, "Gateway:MaxK must be at least 1.")
            .ValidateOnStart();
        var gateway = configuration.GetSection("Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = gateway.MaxRequestBytes);
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = gateway.MaxRequestBytes);

        builder.Services.AddOptions<OutfitFinder.Core.Images.ImageLimits>().BindConfiguration("Images")
            .Validate(l => l.MaxBytes > 0 && l.MaxPixels > 0, "Images:MaxBytes and Images:MaxPixels must be positive.")
            .ValidateOnStart();
        builder.Services.AddOutfitFinderStorage(configuration);
        builder.Services.AddSingleton<OutfitFinder.Core.Storage.ProductImageStore>();
        builder.Services.AddSingleton<CatalogDirectory>();
        builder.Services.AddSingleton<SearchFanOut>();
        builder.Services.AddSingleton<OutfitFinder.Gateway.Uploads.UploadReader>();
        builder.Services.AddSingleton<OutfitFinder.Gateway.Apis.Embedding>();
        // Enums (an ingestion's state) travel as their camelCase names, as the API documents them.
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = FrameworkProblems.AddReason);
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        var mode = configuration.GetSection("Cluster").Get<GatewayClusterOptions>()?.Mode ?? "Embedded";
        if (string.Equals(mode, "Embedded", StringComparison.OrdinalIgnoreCase))
        {
            builder.UseOrleans(silo => silo.UseOutfitFinderClustering(configuration).AddOutfitFinder(configuration));
        }
        else if (string.Equals(mode, "Client", StringComparison.OrdinalIgnoreCase))
        {
            var cluster = configuration.GetSection("Cluster").Get<ClusterOptions>() ?? new ClusterOptions();
            builder.UseOrleansClient(client => client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId));
        }
        else
        {
            throw new OptionsValidationException("Cluster:Mode", typeof(GatewayClusterOptions),
                [$"Cluster:Mode is '{mode}'; use Embedded or Client."]);
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
        app.MapOpenApi();
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
        app.MapHealthEndpoints();
        return app;
    }

    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}
