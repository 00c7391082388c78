using Orleans.Concurrency;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>
/// One bulk ingestion of a manifest from a configured source into a catalog, keyed
/// <c>{catalog}/{jobId}</c> (<see cref="IngestionKeys"/>). The job's progress is checkpointed in the
/// cluster's store, so a job whose silo dies resumes from its checkpoint wherever it activates next.
/// </summary>
public interface IIngestionJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the job, or returns its status when it was already started (a retried request
    /// starts nothing twice). Checks the source and the manifest first, so a typo is an answer, not a failed job.
    /// </summary>
    Task<IngestionStartResult> StartAsync(IngestionRequest request, CancellationToken cancellationToken = default);

    /// <summary>The job's progress, or null when no job has this key. Resumes a job that should be running and is not.</summary>
    [AlwaysInterleave]
    Task<IngestionStatus?> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops a running job; products already ingested stay. Null when no job has this key.</summary>
    Task<IngestionStatus?> CancelAsync(CancellationToken cancellationToken = default);
}

/// <summary>Grain keys of ingestion jobs.</summary>
public static class IngestionKeys
{
    public static string For(string catalog, string jobId) => $"{catalog}/{jobId}";

    public static (string Catalog, string JobId) Parse(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash <= 0 || slash == key.Length - 1
            ? throw new ArgumentException($"'{key}' is not an ingestion job key '{{catalog}}/{{jobId}}'.", nameof(key))
            : (key[..slash], key[(slash + 1)..]);
    }
}

/// <summary>What to ingest: a manifest (CSV or JSON Lines) at a path inside a source named in configuration.</summary>
[GenerateSerializer, Immutable]
public sealed record IngestionRequest(
    [property: Id(0)] string Source,
    [property: Id(1)] string Manifest);

/// <summary>Why a job could not start.</summary>
public enum IngestionStartError
{
    None,
    UnknownCatalog,
    UnknownSource,
    BadManifestPath,
    ManifestNotFound,
    Conflict,
}

/// <summary>The job's status and whether this call started it, or why it did not start.</summary>
[GenerateSerializer, Immutable]
public sealed record IngestionStartResult(
    [property: Id(0)] IngestionStatus? Status,
    [property: Id(1)] IngestionStartError Error,
    [property: Id(2)] string? Message,
    [property: Id(3)] bool Started = false);

/// <summary>Where a job is.</summary>
public enum IngestionState
{
    /// <summary>Reading the manifest and storing products.</summary>
    Running,
    /// <summary>Reached the end of the manifest with every row stored.</summary>
    Succeeded,
    /// <summary>Stopped on an error (unreadable manifest, lost source), or reached the end having stored no row.</summary>
    Failed,
    /// <summary>Stopped by a cancel; products already stored stay.</summary>
    Cancelled,
    /// <summary>Reached the end of the manifest having stored some rows; others failed or were skipped.</summary>
    CompletedWithErrors,
}

/// <summary>
/// A job's progress, counted in manifest rows (one image each). A row is succeeded when its
/// product was stored, failed when the row itself is bad (listed in <see cref="Failures"/>), and
/// skipped when it is good but its product was left out because another of the product's rows failed.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record IngestionStatus(
    [property: Id(0)] string Id,
    [property: Id(1)] string Catalog,
    [property: Id(2)] string Source,
    [property: Id(3)] string Manifest,
    [property: Id(4)] IngestionState State,
    [property: Id(5)] long? Total,
    [property: Id(6)] long Succeeded,
    [property: Id(7)] long Failed,
    [property: Id(8)] long Skipped,
    [property: Id(9)] double ImagesPerSecond,
    [property: Id(10)] double? EtaSeconds,
    [property: Id(11)] RowFailureView[] Failures,
    [property: Id(12)] long FailuresNotListed,
    [property: Id(13)] int Resumes,
    [property: Id(14)] string? Error,
    [property: Id(15)] DateTimeOffset CreatedAt,
    [property: Id(16)] DateTimeOffset UpdatedAt);

/// <summary>One bad manifest row: its number, product id and image as written (when it has them) and why.</summary>
[GenerateSerializer, Immutable]
public sealed record RowFailureView(
    [property: Id(0)] int Row,
    [property: Id(1)] string? ProductId,
    [property: Id(2)] string? Image,
    [property: Id(3)] string Reason);
