using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Hosting;

/// <summary>Traces, metrics and the dashboard of a host (gateway or silo). Bound from <c>Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// The OTLP collector traces, metrics and logs are exported to (<c>http://collector:4317</c>). Default: unset, which
    /// falls back to the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable; with neither, nothing is exported.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// Whether spans are recorded. Default: unset, which records them exactly when there is an OTLP endpoint to send
    /// them to; without one no span is even created, so a search pays nothing for tracing.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>Whether the host serves its metrics in the Prometheus text format on <see cref="PrometheusPath"/>. Default: <c>true</c>.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>The path of the Prometheus scrape. Default: <c>/metrics</c>.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>The Orleans dashboard (gateway only).</summary>
    public DashboardOptions Dashboard { get; set; } = new();

    /// <summary>The OTLP endpoint in effect: <see cref="OtlpEndpoint"/>, else the standard variable's value, else null.</summary>
    /// <exception cref="OptionsValidationException">The standard variable holds no absolute address; the message names it.</exception>
    public Uri? EffectiveOtlpEndpoint(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var (name, value) = string.IsNullOrWhiteSpace(OtlpEndpoint)
            ? ("OTEL_EXPORTER_OTLP_ENDPOINT", environment("OTEL_EXPORTER_OTLP_ENDPOINT"))
            : ("Telemetry:OtlpEndpoint", OtlpEndpoint);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var endpoint)
            ? endpoint
            : throw new OptionsValidationException(name, typeof(TelemetryOptions),
                [$"{name} is '{value}'; use an absolute http or https address such as http://collector:4317."]);
    }
}

/// <summary>The Orleans dashboard, served by the gateway. Bound from <c>Telemetry:Dashboard</c>.</summary>
public sealed class DashboardOptions
{
    /// <summary>Whether the gateway serves the Orleans dashboard on <see cref="Path"/>. Default: <c>false</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the dashboard is served. Default: <c>/admin/dashboard</c>.</summary>
    public string Path { get; set; } = "/admin/dashboard";
}

/// <summary>Fails start-up with a sentence naming the <c>Telemetry</c> setting that is wrong.</summary>
public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint)
            && !(Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
        {
            failures.Add($"Telemetry:OtlpEndpoint is '{options.OtlpEndpoint}'; use an absolute http or https address such as http://collector:4317.");
        }

        if (!IsPath(options.PrometheusPath))
        {
            failures.Add($"Telemetry:PrometheusPath is '{options.PrometheusPath}'; use a path that starts with '/', such as /metrics.");
        }

        if (!IsPath(options.Dashboard.Path) || options.Dashboard.Path == "/")
        {
            failures.Add($"Telemetry:Dashboard:Path is '{options.Dashboard.Path}'; use a path below the root, such as /admin/dashboard.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsPath(string? path) => path is { Length: > 0 } && path[0] == '/' && !path.Contains('?') && !path.Contains('#');
}
