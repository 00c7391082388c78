namespace OutfitFinder.Grains.Cluster;

/// <summary>What the cluster is made of: its silos, what each advertises and which shards each hosts.</summary>
public interface IClusterInfoGrain : IGrainWithIntegerKey
{
    /// <summary>Every silo membership knows of (dead ones included, until membership forgets them), ordered by address.</summary>
    Task<IReadOnlyList<SiloView>> GetSilosAsync(CancellationToken cancellationToken = default);
}

/// <summary>One silo as <c>GET /v1/cluster</c> shows it.</summary>
/// <param name="Address">Where other silos reach it, <c>host:port</c>.</param>
/// <param name="Gpu">Its metadata says <c>gpu=true</c>.</param>
/// <param name="Status">Its membership status: <c>Active</c>, <c>Joining</c>, <c>ShuttingDown</c>, <c>Dead</c>, …</param>
/// <param name="Shards">The shards active on it, as <c>catalog/n</c>, sorted.</param>
/// <param name="Vectors">Image vectors those shards hold.</param>
/// <param name="Extractors">Extractor activations on it.</param>
[GenerateSerializer, Immutable]
public sealed record SiloView(
    [property: Id(0)] string Address,
    [property: Id(1)] bool Gpu,
    [property: Id(2)] string Status,
    [property: Id(3)] IReadOnlyList<string> Shards,
    [property: Id(4)] long Vectors,
    [property: Id(5)] int Extractors);
