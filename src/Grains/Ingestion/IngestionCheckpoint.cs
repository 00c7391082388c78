using System.Text.Json;
using System.Text.Json.Serialization;
using OutfitFinder.Core.Ingestion;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>Where ingestion jobs keep their state in the cluster's store.</summary>
public static class IngestionPaths
{
    /// <summary>The job's checkpoint, kept after the job ends so its outcome can still be read.</summary>
    public static string Job(string catalog, string jobId) => $"ingestions/{catalog}/{jobId}.json";

    /// <summary>Folder of a catalog's job checkpoints.</summary>
    public static string Jobs(string catalog) => $"ingestions/{catalog}/";

    /// <summary>
    /// Present while a job should be running: what silos scan to resume jobs whose silo died, so the
    /// scan reads only running jobs however many have ended.
    /// </summary>
    public static string RunningMarker(string catalog, string jobId) => $"ingestions-running/{catalog}/{jobId}";

    public const string RunningMarkers = "ingestions-running/";
}

/// <summary>
/// A job's durable state: what it ingests and how far it got. Every product whose last row is at or
/// before <see cref="RowsDone"/> is stored and counted; a resumed job reads the manifest again and
/// starts after that row. Products after it may have been stored too before a crash; storing them
/// again replaces them with the same thing, so a resume is exact.
/// </summary>
public sealed class IngestionCheckpoint
{
    public required string Id { get; init; }

    public required string Catalog { get; init; }

    public required string Source { get; init; }

    public required string Manifest { get; init; }

    public IngestionState State { get; set; } = IngestionState.Running;

    public long? Total { get; set; }

    public int RowsDone { get; set; }

    public long Succeeded { get; set; }

    public long Failed { get; set; }

    public long Skipped { get; set; }

    public List<RowFailureView> Failures { get; set; } = [];

    public long FailuresNotListed { get; set; }

    /// <summary>How many times the job was picked up again after its silo stopped.</summary>
    public int Resumes { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsRunning => State == IngestionState.Running;

    /// <summary>Counts a finished group's rows and lists its failures up to <paramref name="listed"/>.</summary>
    public void Count(ManifestGroup group, bool stored, int listed)
    {
        RowsDone = Math.Max(RowsDone, group.LastRow);
        Failed += group.Failures.Count;
        var goodRows = group.RowCount - group.Failures.Count;
        if (stored)
        {
            Succeeded += goodRows;
        }
        else
        {
            Skipped += goodRows;
        }

        foreach (var failure in group.Failures)
        {
            if (Failures.Count < listed)
            {
                Failures.Add(new RowFailureView(failure.Row, failure.ProductId, failure.Image, failure.Reason));
            }
            else
            {
                FailuresNotListed++;
            }
        }
    }

    public IngestionCheckpoint Copy()
    {
        var copy = (IngestionCheckpoint)MemberwiseClone();
        copy.Failures = [.. Failures];
        return copy;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The checkpoint at <paramref name="path"/>, or null when there is none.</summary>
    public static async Task<IngestionCheckpoint?> ReadAsync(IBlobStore store, string path, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAsync(path, cancellationToken);
        return bytes is null ? null : JsonSerializer.Deserialize<IngestionCheckpoint>(bytes, Json)
            ?? throw new InvalidDataException($"Ingestion checkpoint '{path}' is empty.");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
