using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Tests;

public sealed class TelemetryOptionsTests
{
    [Fact]
    public void AddOutfitFinderTelemetry_RecordsNoSpans_WhenNoOtlpEndpointIsSet()
    {
        using var host = Build([]);

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData("Telemetry:OtlpEndpoint")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public void AddOutfitFinderTelemetry_TracesAndExports_WhenAnOtlpEndpointIsSet(string setting)
    {
        using var host = Build(new() { [setting] = "http://127.0.0.1:4317" });

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.Equal(new Uri("http://127.0.0.1:4317"),
            host.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.EffectiveOtlpEndpoint(name => name == setting ? "http://127.0.0.1:4317" : null));
    }

    [Fact]
    public void AddOutfitFinderTelemetry_RecordsNoSpans_WhenTracingIsOffDespiteAnEndpoint()
    {
        using var host = Build(new() { ["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:4317", ["Telemetry:Tracing"] = "false" });

        Assert.Null(host.Services.GetService<TracerProvider>());
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "not an address", "OTEL_EXPORTER_OTLP_ENDPOINT is 'not an address'")]
    [InlineData("Telemetry:OtlpEndpoint", "collector:4317", "Telemetry:OtlpEndpoint is 'collector:4317'")]
    [InlineData("Telemetry:PrometheusPath", "metrics", "Telemetry:PrometheusPath is 'metrics'")]
    [InlineData("Telemetry:Dashboard:Path", "/", "Telemetry:Dashboard:Path is '/'")]
    public void AddOutfitFinderTelemetry_FailsNamingTheSetting_WhenItIsInvalid(string setting, string value, string expected)
    {
        var exception = Assert.Throws<OptionsValidationException>(() => Build(new() { [setting] = value }));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddOutfitFinderTelemetry("outfitfinder-test");
        return builder.Build();
    }
}
