using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>
/// Resumes jobs whose silo stopped: at start and then every <see cref="IngestionOptions.ResumeScanInterval"/>,
/// each silo lists the running-job markers and asks each job for its status, which activates (and so
/// resumes) any job that has no activation. Asking a job that is running anywhere costs one call.
/// </summary>
public sealed partial class IngestionJobKeeper(
    IBlobStore store, IGrainFactory grains, IOptions<IngestionOptions> options, ILogger<IngestionJobKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A short first wait: the silo must be up before it can call grains.
        var wait = TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, stoppingToken);
                await ResumeRunningJobsAsync(stoppingToken);
                wait = options.Value.ResumeScanInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogScanFailed(e);
                wait = TimeSpan.FromSeconds(Math.Min(5, options.Value.ResumeScanInterval.TotalSeconds));
            }
        }
    }

    private async Task ResumeRunningJobsAsync(CancellationToken cancellationToken)
    {
        await foreach (var marker in store.ListAsync(IngestionPaths.RunningMarkers, cancellationToken))
        {
            var key = marker[IngestionPaths.RunningMarkers.Length..];
            var status = await grains.GetGrain<IIngestionJobGrain>(key).GetStatusAsync(cancellationToken);
            if (status is null)
            {
                // A start that crashed between its marker and its checkpoint: there is no job to resume.
                await store.DeleteAsync(marker, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Looking for ingestion jobs to resume failed; trying again shortly")]
    private partial void LogScanFailed(Exception exception);
}
