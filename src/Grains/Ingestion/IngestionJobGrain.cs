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
    private IngestionCheckpoint? _checkpoint;
    private IngestionRun? _run;
    private Task? _running;
    private IGrainTimer? _keepAlive;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (catalog, jobId) = IngestionKeys.Parse(this.GetPrimaryKeyString());
        _checkpoint = await IngestionCheckpoint.ReadAsync(store, IngestionPaths.Job(catalog, jobId), cancellationToken);
        if (_checkpoint is { IsRunning: true })
        {
            _checkpoint.Resumes++;
            LogResuming(catalog, jobId, _checkpoint.RowsDone, _checkpoint.Resumes);
            await StartRunAsync(cancellationToken);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The job stays "running" in its checkpoint: the next activation, here or on another silo, resumes it.
        if (_run is not null && _running is { IsCompleted: false })
        {
            _run.Suspend();
            await _running.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<IngestionStartResult> StartAsync(IngestionRequest request, CancellationToken cancellationToken = default)
    {
        if (_checkpoint is not null)
        {
            return _checkpoint.Source == request.Source && _checkpoint.Manifest == request.Manifest
                ? new IngestionStartResult(Status(), IngestionStartError.None, null)
                : new IngestionStartResult(Status(), IngestionStartError.Conflict,
                    $"Job '{_checkpoint.Id}' already ingests '{_checkpoint.Manifest}' from source '{_checkpoint.Source}'.");
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
        _checkpoint = new IngestionCheckpoint
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
        await store.WriteAsync(IngestionPaths.Job(catalog, jobId), _checkpoint.ToJson(), cancellationToken);
        LogStarted(catalog, jobId, request.Source, request.Manifest);
        await StartRunAsync(cancellationToken);
        return new IngestionStartResult(Status(), IngestionStartError.None, null, Started: true);
    }

    /// <inheritdoc />
    public Task<IngestionStatus?> GetStatusAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(_checkpoint is null ? null : Status());

    /// <inheritdoc />
    public async Task<IngestionStatus?> CancelAsync(CancellationToken cancellationToken = default)
    {
        if (_checkpoint is null)
        {
            return null;
        }

        if (_run is not null && _running is { IsCompleted: false })
        {
            _run.Cancel();
            await _running;
        }

        return Status();
    }

    private static IngestionStartResult Refuse(IngestionStartError error, string message) => new(null, error, message);

    private IngestionStatus Status() => _run?.Status() ?? IngestionRun.StatusOf(_checkpoint!, 0);

    private async Task StartRunAsync(CancellationToken cancellationToken)
    {
        var job = _checkpoint!;
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

        _run = new IngestionRun(job, definition, source, store, target, options.Value, logger, imageLimits.Value.MaxBytes);

        // The run works off the grain's scheduler (downloads, grain calls, checkpoint writes); the
        // timer only keeps this activation alive while it does, since no call may come for hours.
        _running = Task.Run(_run.RunAsync, CancellationToken.None);
        _keepAlive?.Dispose();
        _keepAlive = this.RegisterGrainTimer(
            () =>
            {
                if (_running.IsCompleted)
                {
                    _keepAlive?.Dispose();
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
