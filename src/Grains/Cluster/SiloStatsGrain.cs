using Orleans.Concurrency;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Grains.Cluster;

/// <summary>
/// Answers for the silo it runs on. One activation per silo at most, and only on the silo its key names
/// while that silo lives (see <see cref="ISiloStatsGrain"/>); the answer carries the address of the silo
/// that actually answered, so a caller can tell.
/// </summary>
[StatelessWorker(1)]
public sealed class SiloStatsGrain(EmbedderRegistry embedders, ILocalSiloDetails silo) : Grain, ISiloStatsGrain
{
    /// <inheritdoc />
    public Task<SiloStats> GetAsync(CancellationToken cancellationToken = default)
    {
        var loaded = embedders.Loaded.ToList();
        var memory = GC.GetGCMemoryInfo();
        return Task.FromResult(new SiloStats(
            silo.SiloAddress.Endpoint.ToString(),
            loaded.Sum(batcher => batcher.ImagesEmbedded),
            loaded.Sum(batcher => batcher.BatchesRun),
            [.. loaded.Select(batcher => $"{batcher.Embedder.Model}={batcher.Embedder.ExecutionProvider}").Order(StringComparer.Ordinal)],
            GC.GetTotalMemory(forceFullCollection: false),
            memory.TotalAvailableMemoryBytes));
    }
}
