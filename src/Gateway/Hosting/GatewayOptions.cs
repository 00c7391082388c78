namespace OutfitFinder.Gateway.Hosting;

/// <summary>Limits and deadlines of the public API. Bound from <c>Gateway</c>.</summary>
public sealed class GatewayOptions
{
    /// <summary>How long a search waits for all shards before answering with what it has (<c>partial: true</c>). Default: 5 s.</summary>
    public TimeSpan SearchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest request body accepted, in bytes. Default: 100 MB (104,857,600).</summary>
    public long MaxRequestBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Most shop images one product may have. Default: 16.</summary>
    public int MaxImagesPerProduct { get; set; } = 16;

    /// <summary>Largest <c>k</c> a search may ask for. Default: 1000.</summary>
    public int MaxK { get; set; } = 1000;

    /// <summary>Most shards a catalog may have. Default: 256.</summary>
    public int MaxShards { get; set; } = 256;
}

/// <summary>How the gateway reaches the cluster. Bound from <c>Cluster</c>.</summary>
public sealed class GatewayClusterOptions
{
    /// <summary>
    /// <c>Embedded</c>: host a silo in this process (nothing else to run). <c>Client</c>: connect
    /// to silos started separately (<c>src/Silo</c>). Default: <c>Embedded</c>.
    /// </summary>
    public string Mode { get; set; } = "Embedded";
}
