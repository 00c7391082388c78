using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Extraction;

/// <summary>Which models a silo loads when it starts. Bound from <c>Extraction</c>.</summary>
public sealed class EmbedderWarmUpOptions
{
    /// <summary>The models preloaded when <see cref="Preload"/> is not configured.</summary>
    public static readonly IReadOnlyList<string> DefaultPreload = ["resnet18", "resnet18-rmac-street"];

    /// <summary>
    /// Models loaded in the background at start-up, so the first request does not wait for a
    /// model to load (ResNet18 takes seconds). Default: <c>["resnet18", "resnet18-rmac-street"]</c> (today's model and the one new catalogs get); an empty list loads none.
    /// </summary>
    /// <remarks>
    /// Null rather than initialised to the default: the configuration binder appends a configured list to an
    /// array the property already holds, so <c>Preload:0=whitebox</c> would load ResNet18 as well.
    /// </remarks>
    public string[]? Preload { get; set; }

    /// <summary>The models to preload: the configured ones, or <see cref="DefaultPreload"/>.</summary>
    public IReadOnlyList<string> Models() => Preload ?? DefaultPreload;
}

/// <summary>Loads the configured models after the silo starts, without delaying the start.</summary>
internal sealed partial class EmbedderWarmUp(EmbedderRegistry registry, IOptions<EmbedderWarmUpOptions> options, ILogger<EmbedderWarmUp> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        foreach (var model in options.Value.Models().Distinct(StringComparer.Ordinal))
        {
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                registry.Get(model);
                LogLoaded(model, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception exception)
            {
                // The first request for the model will try again and report the error to its caller.
                LogFailed(exception, model);
            }
        }
    }, stoppingToken);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Model {Model} loaded in {ElapsedMs:F0} ms")]
    private partial void LogLoaded(string model, double elapsedMs);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Model {Model} could not be preloaded")]
    private partial void LogFailed(Exception exception, string model);
}
