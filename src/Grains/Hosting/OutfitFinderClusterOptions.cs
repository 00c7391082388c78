using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Hosting;

/// <summary>Whether the gateway hosts a silo itself or connects to silos started separately.</summary>
public enum ClusterMode
{
    /// <summary>The gateway hosts a silo in its own process: nothing else to run.</summary>
    Embedded,

    /// <summary>The gateway is an Orleans client of silos started with <c>src/Silo</c>.</summary>
    Client,
}

/// <summary>How silos and clients find each other (Orleans membership).</summary>
public enum ClusterProvider
{
    /// <summary>
    /// Every silo on this machine, on <see cref="OutfitFinderClusterOptions.SiloPort"/> and
    /// <see cref="OutfitFinderClusterOptions.GatewayPort"/>: the embedded default and single-machine setups.
    /// </summary>
    Localhost,
}

/// <summary>
/// How this process joins the cluster. Bound from <c>Cluster</c>. Named apart from Orleans'
/// own <see cref="Orleans.Configuration.ClusterOptions"/>, which the providers fill in from it.
/// </summary>
public sealed class OutfitFinderClusterOptions
{
    /// <summary>
    /// Read by the gateway only: <c>Embedded</c> hosts a silo in the gateway's process,
    /// <c>Client</c> connects to silos started separately. Default: <c>Embedded</c>.
    /// </summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    /// <summary>How silos and clients find each other. Default: <c>Localhost</c>.</summary>
    public ClusterProvider Provider { get; set; } = ClusterProvider.Localhost;

    /// <summary>Port silos talk to each other on. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (gateways) connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Cluster id: silos with the same id form one cluster. Default: <c>outfitfinder</c>.</summary>
    public string ClusterId { get; set; } = "outfitfinder";

    /// <summary>Service id: stable across deployments of the same service. Default: <c>outfitfinder</c>.</summary>
    public string ServiceId { get; set; } = "outfitfinder";
}

/// <summary>Fails start-up with a sentence naming the <c>Cluster</c> setting to fix.</summary>
public sealed class OutfitFinderClusterOptionsValidator : IValidateOptions<OutfitFinderClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OutfitFinderClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"Cluster:Mode is '{options.Mode}'; use {OptionsBinding.Names<ClusterMode>()}.");
        }

        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"Cluster:Provider is '{options.Provider}'; use {OptionsBinding.Names<ClusterProvider>()}.");
        }

        Port(options.SiloPort, "Cluster:SiloPort", failures);
        Port(options.GatewayPort, "Cluster:GatewayPort", failures);
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"Cluster:SiloPort and Cluster:GatewayPort are both {options.SiloPort}; silos and clients each need a port of their own.");
        }

        NotEmpty(options.ClusterId, "Cluster:ClusterId", "silos with the same cluster id form one cluster", failures);
        NotEmpty(options.ServiceId, "Cluster:ServiceId", "it identifies the service across deployments", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Port(int port, string setting, List<string> failures)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add($"{setting} is {port}; it must be between 1 and 65535.");
        }
    }

    private static void NotEmpty(string? value, string setting, string why, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{setting} is empty; {why}, so it must be set.");
        }
    }
}
