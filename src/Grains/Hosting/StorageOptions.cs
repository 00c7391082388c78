namespace OutfitFinder.Grains.Hosting;

/// <summary>Where the cluster keeps catalogs, shard logs and product images. Bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>Folder for the local-folder store (the embedded default). Default: <c>./.outfit-data</c>.</summary>
    public string Root { get; set; } = "./.outfit-data";
}

/// <summary>How this silo joins a cluster. Bound from <c>Cluster</c>.</summary>
public sealed class ClusterOptions
{
    /// <summary>Port silos talk to each other on. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (gateways) connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Cluster id: silos with the same id form one cluster. Default: <c>outfitfinder</c>.</summary>
    public string ClusterId { get; set; } = "outfitfinder";

    /// <summary>Service id: stable across deployments of the same service. Default: <c>outfitfinder</c>.</summary>
    public string ServiceId { get; set; } = "outfitfinder";
}

/// <summary>Whether this silo advertises a GPU. Bound from <c>Extraction</c>.</summary>
public sealed class SiloGpuOptions
{
    /// <summary>
    /// <c>auto</c> (advertise <c>gpu=true</c> when the CUDA driver library loads), <c>true</c> or
    /// <c>false</c>. Default: <c>auto</c>.
    /// </summary>
    public string Gpu { get; set; } = "auto";
}
