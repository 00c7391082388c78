using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Ingestion;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>
/// Runs one ingestion job (<see cref="IngestionRun"/>) and answers for it. On activation it reads
/// the job's checkpoint and, when the job should be running, resumes it from there: that is how a
/// job survives its silo, since any call (a status poll, or <see cref="IngestionJobKeeper"/>'s scan)
/// activates it elsewhere.
/// </summary>
public sealed partial class IngestionJobGrain(
    IBlobStore store,
    IngestionSources sources,
    IIngestionTarget target,
    IOptions<IngestionOptions> options,
    IOptions<ImageLimits> imageLimits,
    ILogger<IngestionJobGrain> logger) : Grain, IIngestionJobGrain
{
    private IngestionCheckpoint? checkpoint;
    private IngestionRun? run;
    private Task? running;
    private IGrainTimer? keepAlive;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, jobId) = IngestionKeys.Parse(this.GetPrimaryKeyString());
        checkpoint = await IngestionCheckpoint.ReadAsync(store, IngestionPaths.Job(catalog, jobId), cancellationToken);
        if (checkpoint is { IsRunning: true })
        {
            checkpoint.Resumes++;
            LogResuming(catalog, jobId, checkpoint.RowsDone, checkpoint.Resumes);
            await StartRunAsync(cancellationToken);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The job stays "running" in its checkpoint: the next activation, here or on another silo, resumes it.
        if (run is not null && running is { IsCompleted: false })
        {
            run.Suspend();
            await running.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<IngestionStartResult> StartAsync(IngestionRequest request, CancellationToken cancellationToken = default)
    {
        if (checkpoint is not null)
        {
            return checkpoint.Source == request.Source && checkpoint.Manifest == request.Manifest
                ? new IngestionStartResult(Status(), IngestionStartError.None, null)
                : new IngestionStartResult(Status(), IngestionStartError.Conflict,
                    $"Job '{checkpoint.Id}' already ingests '{checkpoint.Manifest}' from source '{checkpoint.Source}'.");
        }

        var (catalog, jobId) = IngestionKeys.Parse(this.GetPrimaryKeyString());
        if (await GrainFactory.GetGrain<ICatalogGrain>(catalog).GetAsync(cancellationToken) is null)
        {
            return Refuse(IngestionStartError.UnknownCatalog, $"Catalog '{catalog}' does not exist.");
        }

        var source = sources.Find(request.Source);
        if (source is null)
        {
            return Refuse(IngestionStartError.UnknownSource, sources.Names.Count == 0
                ? $"Source '{request.Source}' is not configured; this cluster has no ingestion sources (configure Ingestion:Sources:NAME)."
                : $"Source '{request.Source}' is not configured; known sources: {string.Join(", ", sources.Names.Order(StringComparer.Ordinal))}.");
        }

        try
        {
            BlobPath.Validate(request.Manifest, "manifest");
        }
        catch (ArgumentException e)
        {
            return Refuse(IngestionStartError.BadManifestPath, $"The manifest path is not usable: {e.Message.Split(" (Parameter", 2)[0]}");
        }

        try
        {
            // Opening reads the header, so a manifest without the required columns is refused now.
            using var manifest = await IngestionRun.OpenManifestAsync(source, request.Manifest, cancellationToken);
        }
        catch (ManifestException e)
        {
            return Refuse(IngestionStartError.ManifestNotFound, $"Source '{request.Source}': {e.Message}");
        }

        var now = DateTimeOffset.UtcNow;
        checkpoint = new IngestionCheckpoint
        {
            Id = jobId,
            Catalog = catalog,
            Source = request.Source,
            Manifest = request.Manifest,
            CreatedAt = now,
            UpdatedAt = now,
        };

        // The marker first: a crash after it and before the checkpoint leaves a marker without a job, which the keeper drops.
        await store.WriteAsync(IngestionPaths.RunningMarker(catalog, jobId), ReadOnlyMemory<byte>.Empty, cancellationToken);
        await store.WriteAsync(IngestionPaths.Job(catalog, jobId), checkpoint.ToJson(), cancellationToken);
        LogStarted(catalog, jobId, request.Source, request.Manifest);
        await StartRunAsync(cancellationToken);
        return new IngestionStartResult(Status(), IngestionStartError.None, null, Started: true);
    }

    /// <inheritdoc />
    public Task<IngestionStatus?> GetStatusAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(checkpoint is null ? null : Status());

    /// <inheritdoc />
    public async Task<IngestionStatus?> CancelAsync(CancellationToken cancellationToken = default)
    {
        if (checkpoint is null)
        {
            return null;
        }

        if (run is not null && running is { IsCompleted: false })
        {
            run.Cancel();
            await running;
        }

        return Status();
    }

    private static IngestionStartResult Refuse(IngestionStartError error, string message) => new(null, error, message);

    private IngestionStatus Status() => run?.Status() ?? IngestionRun.StatusOf(checkpoint!, 0);

    private async Task StartRunAsync(CancellationToken cancellationToken)
    {
        var job = checkpoint!;
        var definition = await GrainFactory.GetGrain<ICatalogGrain>(job.Catalog).GetAsync(cancellationToken);
        var source = sources.Find(job.Source);
        if (definition is null || source is null)
        {
            job.State = IngestionState.Failed;
            job.Error = definition is null
                ? $"Catalog '{job.Catalog}' no longer exists."
                : $"Source '{job.Source}' is no longer configured on this silo.";
            await store.WriteAsync(IngestionPaths.Job(job.Catalog, job.Id), job.ToJson(), cancellationToken);
            await store.DeleteAsync(IngestionPaths.RunningMarker(job.Catalog, job.Id), cancellationToken);
            return;
        }

        run = new IngestionRun(job, definition, source, store, target, options.Value, logger, imageLimits.Value.MaxBytes);

        // The run works off the grain's scheduler (downloads, grain calls, checkpoint writes); the
        // timer only keeps this activation alive while it does, since no call may come for hours.
        running = Task.Run(run.RunAsync, CancellationToken.None);
        keepAlive?.Dispose();
        keepAlive = this.RegisterGrainTimer(
            () =>
            {
                if (running.IsCompleted)
                {
                    keepAlive?.Dispose();
                }

                return Task.CompletedTask;
            },
            new GrainTimerCreationOptions(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)) { KeepAlive = true });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {Catalog}/{JobId} started: '{Manifest}' from source '{Source}'")]
    private partial void LogStarted(string catalog, string jobId, string source, string manifest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {Catalog}/{JobId} resuming after row {RowsDone} (resume {Resumes})")]
    private partial void LogResuming(string catalog, string jobId, int rowsDone, int resumes);
}
