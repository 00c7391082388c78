namespace OutfitFinder.Grains.Cluster;

/// <summary>What the cluster is made of: its silos, what each advertises and which shards each hosts.</summary>
public interface IClusterInfoGrain : IGrainWithIntegerKey
{
    /// <summary>Every silo membership knows of (dead ones included, until membership forgets them), ordered by address.</summary>
    Task<IReadOnlyList<SiloView>> GetSilosAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The active silos extraction runs on: the GPU silos when any is up, else every active silo
    /// (none when <c>Extraction:Placement:RequireGpu</c> is set and no GPU silo is up).
    /// </summary>
    Task<SiloAddress[]> GetExtractionSilosAsync(CancellationToken cancellationToken = default);
}

/// <summary>One silo as <c>GET /v1/cluster</c> shows it.</summary>
/// <param name="Address">Where other silos reach it, <c>host:port</c>.</param>
/// <param name="Gpu">Its metadata says <c>gpu=true</c>.</param>
/// <param name="Status">Its membership status: <c>Active</c>, <c>Joining</c>, <c>ShuttingDown</c>, <c>Dead</c>, …</param>
/// <param name="Shards">The shards active on it, as <c>catalog/n</c>, sorted.</param>
/// <param name="Replicas">The read replicas active on it, as <c>catalog/n/r</c>, sorted.</param>
/// <param name="ReplicaBytes">Estimated bytes of those replicas' indexes.</param>
/// <param name="Vectors">Image vectors those shards hold.</param>
/// <param name="Extractors">Extractor activations on it.</param>
/// <param name="Bytes">Memory those shards' vectors and indexes take, estimated from their sizes.</param>
/// <param name="Stats">What the silo says of itself; null when it did not answer (a dead silo).</param>
[GenerateSerializer, Immutable]
public sealed record SiloView(
    [property: Id(0)] string Address,
    [property: Id(1)] bool Gpu,
    [property: Id(2)] string Status,
    [property: Id(3)] IReadOnlyList<string> Shards,
    [property: Id(4)] long Vectors,
    [property: Id(5)] int Extractors,
    [property: Id(6)] long Bytes,
    [property: Id(7)] SiloStats? Stats,
    [property: Id(8)] IReadOnlyList<string>? Replicas = null,
    [property: Id(9)] long ReplicaBytes = 0);

/// <summary>A silo's own counters, from <see cref="ISiloStatsGrain"/>.</summary>
/// <param name="Address">The silo that answered (<c>host:port</c>).</param>
/// <param name="ImagesEmbedded">Images its extractors embedded since it started.</param>
/// <param name="ModelRuns">Model calls (batches) it ran since it started.</param>
/// <param name="ExecutionProviders">The ONNX Runtime execution provider of each model it loaded, as <c>model=provider</c>.</param>
/// <param name="HeapBytes">Its managed heap now.</param>
/// <param name="HeapLimitBytes">The managed memory the runtime may use (a heap hard limit or the machine's memory).</param>
[GenerateSerializer, Immutable]
public sealed record SiloStats(
    [property: Id(0)] string Address,
    [property: Id(1)] long ImagesEmbedded,
    [property: Id(2)] long ModelRuns,
    [property: Id(3)] string[] ExecutionProviders,
    [property: Id(4)] long HeapBytes,
    [property: Id(5)] long HeapLimitBytes);

/// <summary>
/// One per silo, keyed by a hash of its address and placed on that silo by a placement hint: what
/// the silo says of itself. A stateless worker, so it is never registered in the grain directory and
/// never outlives its silo elsewhere; a call that lands on another silo is answered by that silo,
/// whose address the answer carries.
/// </summary>
public interface ISiloStatsGrain : IGrainWithIntegerKey
{
    /// <summary>This silo's counters.</summary>
    Task<SiloStats> GetAsync(CancellationToken cancellationToken = default);
}
