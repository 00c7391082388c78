using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;
using OutfitFinder.Core.Telemetry;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// The one place where both hosts (silo and gateway) set up logging, traces and metrics, so that they report alike
/// (the shape of eShop's <c>ServiceDefaults</c>): OpenTelemetry with ASP.NET Core, HttpClient, Orleans, runtime and
/// OutfitFinder's own sources and meters; OTLP export when an endpoint is configured; a Prometheus scrape.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Orleans' meter: grain calls, activations, messaging, membership.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// Orleans' spans of application grain calls, made by activity propagation. Its runtime source
    /// (<c>Microsoft.Orleans.Runtime</c>: membership pings, directory and system-target calls) is left out: each of
    /// those is a trace of its own, several a second, none part of a search.
    /// </summary>
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application";

    /// <summary>
    /// The most tag combinations each metric stream of Orleans, the runtime, HttpClient and Kestrel keeps. Every stream
    /// allocates room for its limit up front (about 72 bytes a point); at OpenTelemetry's default of 2,000 the ~150
    /// streams of those meters took 22 MiB of every host's heap, for tags that take a few dozen values (grain types,
    /// GC generations, hosts). Combinations beyond the limit are still counted, in OpenTelemetry's overflow point.
    /// </summary>
    internal const int FrameworkCardinalityLimit = 200;

    /// <summary>
    /// The console log levels of every host: information from our code, warnings and errors from
    /// Orleans and ASP.NET Core, whose information-level start-up and request notes would bury ours.
    /// Polly is Orleans' placement pipeline here; at information it logs every attempt.
    /// </summary>
    private static readonly Dictionary<string, string?> DefaultLogLevels = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };

    /// <summary>
    /// Applies the default log levels beneath every other configuration source, so
    /// <c>appsettings.json</c>, environment variables and the command line
    /// (<c>--Logging:LogLevel:Orleans=Information</c>) still override each of them; then sets up OpenTelemetry from
    /// <c>Telemetry</c> (<see cref="TelemetryOptions"/>) under <paramref name="serviceName"/> (unless
    /// <c>OTEL_SERVICE_NAME</c> names the service).
    /// </summary>
    /// <remarks>
    /// Metrics are always collected: the Prometheus scrape reads them, and an instrument costs an add per
    /// measurement. Spans are created only when tracing is on (by default, when an OTLP endpoint is set), so a
    /// search without a collector pays nothing for them.
    /// </remarks>
    public static TBuilder AddOutfitFinderTelemetry<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });

        // Read now: the settings decide which providers and exporters are registered.
        var options = builder.Configuration.GetSection("Telemetry").GetValidated(new TelemetryOptionsValidator());
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration("Telemetry").ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        var otlp = options.EffectiveOtlpEndpoint(name => builder.Configuration[name]);
        var tracing = options.Tracing ?? otlp is not null;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(serviceName, serviceInstanceId: Environment.MachineName);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(OutfitFinderTelemetry.Name, OrleansMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddView(instrument => KeepsDefaultCardinality(instrument.Meter.Name)
                        ? null
                        : new MetricStreamConfiguration { CardinalityLimit = FrameworkCardinalityLimit });
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(exporter => UseEndpoint(exporter, options, otlp));
                }
            });

        if (tracing)
        {
            telemetry.WithTracing(traces =>
            {
                traces.AddSource(OutfitFinderTelemetry.Name, OrleansApplicationSource)
                    // Scrapes and probes arrive every few seconds and say nothing about searches.
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsOperational(context.Request.Path, options))
                    .AddHttpClientInstrumentation();
                if (otlp is not null)
                {
                    traces.AddOtlpExporter(exporter => UseEndpoint(exporter, options, otlp));
                }
            });
        }

        if (otlp is not null)
        {
            builder.Logging.AddOpenTelemetry(logs =>
            {
                logs.IncludeFormattedMessage = true;
                logs.AddOtlpExporter(exporter => UseEndpoint(exporter, options, otlp));
            });
        }

        return builder;
    }

    /// <summary>
    /// Serves the Prometheus scrape on <see cref="TelemetryOptions.PrometheusPath"/> when it is on; null when it is off.
    /// The caller decides who may read it.
    /// </summary>
    public static IEndpointConventionBuilder? MapOutfitFinderMetrics(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        return options.Prometheus ? app.MapPrometheusScrapingEndpoint(options.PrometheusPath) : null;
    }

    /// <summary>
    /// Adds the Orleans dashboard's silo part (grain call profiling, the grains the dashboard reads) when
    /// <c>Telemetry:Dashboard:Enabled</c> is true in <paramref name="configuration"/>. Every silo of a cluster whose
    /// gateway serves the dashboard needs it.
    /// </summary>
    public static ISiloBuilder AddOutfitFinderDashboard(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return DashboardEnabled(configuration) ? silo.AddDashboard() : silo;
    }

    /// <summary>The dashboard's client part, for a gateway that is a client of the cluster; as above otherwise.</summary>
    public static IClientBuilder AddOutfitFinderDashboard(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        return DashboardEnabled(configuration) ? client.AddDashboard() : client;
    }

    /// <summary>
    /// Serves the Orleans dashboard on <see cref="DashboardOptions.Path"/> when it is enabled; null when it is not.
    /// The caller decides who may read it.
    /// </summary>
    public static IEndpointConventionBuilder? MapOutfitFinderDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var dashboard = app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value.Dashboard;
        return dashboard.Enabled ? app.MapOrleansDashboard(routePrefix: dashboard.Path) : null;
    }

    private static bool DashboardEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection("Telemetry:Dashboard").GetValue<bool>(nameof(DashboardOptions.Enabled));
    }

    // The standard variable is read by the exporter itself; only the project's own setting needs handing over.
    private static void UseEndpoint(OtlpExporterOptions exporter, TelemetryOptions options, Uri endpoint)
    {
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            exporter.Endpoint = endpoint;
        }
    }

    /// <summary>
    /// Our own instruments (tagged by catalog, shard, model and outcome) and ASP.NET Core's request metrics (route × method ×
    /// status) keep OpenTelemetry's default limit; every other meter gets <see cref="FrameworkCardinalityLimit"/>.
    /// </summary>
    internal static bool KeepsDefaultCardinality(string meterName) =>
        meterName is OutfitFinderTelemetry.Name or "Microsoft.AspNetCore.Hosting";

    private static bool IsOperational(PathString path, TelemetryOptions options) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(options.PrometheusPath);
}
