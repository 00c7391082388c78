using Microsoft.Extensions.Options;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>A place manifests and their images are read from, named in configuration so API callers can only pick a name.</summary>
public sealed class IngestionSourceOptions
{
    /// <summary><c>Folder</c> (<see cref="Path"/>) or <c>AzureBlob</c> (<see cref="ConnectionString"/>, <see cref="Container"/>).</summary>
    public StorageKind Kind { get; set; } = StorageKind.Folder;

    /// <summary>The folder, for a <c>Folder</c> source. It must exist.</summary>
    public string? Path { get; set; }

    /// <summary>The storage account, for an <c>AzureBlob</c> source.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The container, for an <c>AzureBlob</c> source.</summary>
    public string? Container { get; set; }
}

/// <summary>Bulk ingestion: the sources and how hard a job pushes. Bound from <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>Sources by name (<c>Ingestion:Sources:NAME:Kind</c> and so on). Default: none.</summary>
    public Dictionary<string, IngestionSourceOptions> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Images embedded per extractor call. Default 32: the batch at which the CPU model's throughput levels off.</summary>
    public int BatchImages { get; set; } = 32;

    /// <summary>
    /// Rows given as vectors made elsewhere (a <c>vector</c> or <c>vector_file</c>) per batch: they skip the model, so a
    /// batch of them is bounded by the upsert's size rather than the extractor's. Default 1024 (2 MiB of 512-d floats).
    /// </summary>
    public int BatchVectors { get; set; } = 1024;

    /// <summary>Batches downloading, embedding or storing at once, so the extractor never waits for a download. Default 3.</summary>
    public int BatchesInFlight { get; set; } = 3;

    /// <summary>Images downloaded at once within a batch. Default 8.</summary>
    public int DownloadParallelism { get; set; } = 8;

    /// <summary>Products read ahead of the batches; the reader waits beyond this, so a slow extractor slows the reader. Default 64.</summary>
    public int ReadAheadProducts { get; set; } = 64;

    /// <summary>Bad rows listed in a job's status; the counts always cover all of them. Default 100.</summary>
    public int ListedFailures { get; set; } = 100;

    /// <summary>Most time between two checkpoints of a running job. Default 2 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each silo looks for running jobs that lost their silo and resumes them. Default 30 s.</summary>
    public TimeSpan ResumeScanInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Fails start-up with a sentence naming the <c>Ingestion</c> setting to fix.</summary>
public sealed class IngestionOptionsValidator : IValidateOptions<IngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Positive(options.BatchImages, "BatchImages", failures);
        Positive(options.BatchVectors, "BatchVectors", failures);
        Positive(options.BatchesInFlight, "BatchesInFlight", failures);
        Positive(options.DownloadParallelism, "DownloadParallelism", failures);
        Positive(options.ReadAheadProducts, "ReadAheadProducts", failures);
        if (options.ListedFailures < 0)
        {
            failures.Add("Ingestion:ListedFailures cannot be negative.");
        }

        if (options.CheckpointInterval <= TimeSpan.Zero || options.ResumeScanInterval <= TimeSpan.Zero)
        {
            failures.Add("Ingestion:CheckpointInterval and Ingestion:ResumeScanInterval must be positive.");
        }

        foreach (var (source, settings) in options.Sources)
        {
            var prefix = $"Ingestion:Sources:{source}";
            switch (settings.Kind)
            {
                case StorageKind.Folder when string.IsNullOrWhiteSpace(settings.Path):
                    failures.Add($"{prefix}:Path must name a folder for a Folder source.");
                    break;
                case StorageKind.Folder when !Directory.Exists(settings.Path):
                    failures.Add($"{prefix}:Path is '{settings.Path}', which is not an existing folder.");
                    break;
                case StorageKind.AzureBlob when string.IsNullOrWhiteSpace(settings.ConnectionString) || string.IsNullOrWhiteSpace(settings.Container):
                    failures.Add($"{prefix} is an AzureBlob source; it needs ConnectionString and Container.");
                    break;
                case StorageKind.Folder or StorageKind.AzureBlob:
                    break;
                default:
                    failures.Add($"{prefix}:Kind is '{settings.Kind}'; use Folder or AzureBlob.");
                    break;
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(int value, string setting, List<string> failures)
    {
        if (value < 1)
        {
            failures.Add($"Ingestion:{setting} is {value}; it must be at least 1.");
        }
    }
}
