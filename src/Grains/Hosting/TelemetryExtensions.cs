using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// The one place where both hosts (silo and gateway) set up logging, so that they log alike.
/// </summary>
public static class TelemetryExtensions
{
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
    /// (<c>--Logging:LogLevel:Orleans=Information</c>) still override each of them.
    /// </summary>
    public static TBuilder AddOutfitFinderTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });
        return builder;
    }
}
