using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
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

    /// <summary>Membership in Redis (<c>Cluster:Redis:ConnectionString</c>): silos on any machine that reaches it.</summary>
    Redis,

    /// <summary>
    /// Membership in an Azure Storage table (<c>Cluster:AzureStorage:ConnectionString</c>): fits clusters
    /// that already keep their shards in Blob Storage.
    /// </summary>
    AzureStorage,

    /// <summary>
    /// Silos in Kubernetes pods (<c>UseKubernetesHosting</c>: pod name, pod IP, labels), with membership
    /// kept by the store <c>Cluster:Kubernetes:Membership</c> names: Kubernetes hosting does not do
    /// membership itself, and a gateway pod needs that same store to find the silos' gateways.
    /// </summary>
    Kubernetes,
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

    /// <summary>
    /// The IPv4 or IPv6 address other machines reach this silo on; read by silos only. Default: the
    /// first non-loopback IPv4 address of an interface that is up for a clustered provider,
    /// loopback for <c>Localhost</c>; with <c>Kubernetes</c>, the pod IP.
    /// </summary>
    public string? AdvertisedIP { get; set; }

    /// <summary>Settings of the <c>Redis</c> provider (and of <c>Kubernetes</c> with Redis membership).</summary>
    public RedisClusterOptions Redis { get; set; } = new();

    /// <summary>Settings of the <c>AzureStorage</c> provider (and of <c>Kubernetes</c> with Azure Storage membership).</summary>
    public AzureStorageClusterOptions AzureStorage { get; set; } = new();

    /// <summary>Settings of the <c>Kubernetes</c> provider.</summary>
    public KubernetesClusterOptions Kubernetes { get; set; } = new();

    /// <summary>
    /// The store membership lives in: the provider itself, or for <c>Kubernetes</c> the one
    /// <see cref="KubernetesClusterOptions.Membership"/> names. Valid only after validation.
    /// </summary>
    public ClusterProvider MembershipStore =>
        Provider == ClusterProvider.Kubernetes ? Enum.Parse<ClusterProvider>(Kubernetes.Membership!, ignoreCase: true) : Provider;

    /// <summary>
    /// The address this silo advertises: <see cref="AdvertisedIP"/> when set, loopback for
    /// <c>Localhost</c>, else the first non-loopback IPv4 address of an interface that is up
    /// (loopback when the machine has none, so a lone laptop still starts).
    /// </summary>
    public IPAddress ResolveAdvertisedIP()
    {
        if (!string.IsNullOrWhiteSpace(AdvertisedIP))
        {
            return IPAddress.Parse(AdvertisedIP.Trim());
        }

        if (Provider == ClusterProvider.Localhost)
        {
            return IPAddress.Loopback;
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(network => network.OperationalStatus == OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            ?? IPAddress.Loopback;
    }
}

/// <summary>The <c>Redis</c> membership store. Bound from <c>Cluster:Redis</c>.</summary>
public sealed class RedisClusterOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>redis.internal:6379,password=…</c>.
    /// Required with the <c>Redis</c> provider. Default: none.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Whether the silos keep the grain directory (which silo runs each shard, replica and catalog) in the same
    /// Redis. It keeps every live shard reachable while a dead silo's death is still unconfirmed, at the cost of
    /// Redis becoming needed to activate grains (see docs/architecture.md). False keeps Orleans' own directory,
    /// spread over the silos. Default: true.
    /// </summary>
    public bool GrainDirectory { get; set; } = true;
}

/// <summary>The <c>AzureStorage</c> membership store. Bound from <c>Cluster:AzureStorage</c>.</summary>
public sealed class AzureStorageClusterOptions
{
    /// <summary>
    /// An Azure Storage connection string for the account whose Table service holds membership.
    /// Required with the <c>AzureStorage</c> provider. Default: none.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The membership table, created when missing. Default: <c>OrleansSiloInstances</c>.</summary>
    public string TableName { get; set; } = "OrleansSiloInstances";
}

/// <summary>The <c>Kubernetes</c> provider. Bound from <c>Cluster:Kubernetes</c>.</summary>
public sealed class KubernetesClusterOptions
{
    /// <summary>
    /// Where membership is kept: <c>Redis</c> or <c>AzureStorage</c>, configured in its own section.
    /// Required with the <c>Kubernetes</c> provider. Default: none.
    /// </summary>
    public string? Membership { get; set; }
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
        if (!string.IsNullOrWhiteSpace(options.AdvertisedIP)
            && (!IPAddress.TryParse(options.AdvertisedIP.Trim(), out var advertised) || advertised.Equals(IPAddress.Any) || advertised.Equals(IPAddress.IPv6Any)))
        {
            failures.Add($"Cluster:AdvertisedIP is '{options.AdvertisedIP}'; use the IP address other machines reach this silo on, such as 10.0.0.5.");
        }

        var store = options.Provider;
        if (options.Provider == ClusterProvider.Kubernetes)
        {
            if (options.Kubernetes.Membership is not { } membership
                || !Enum.TryParse<ClusterProvider>(membership, ignoreCase: true, out store)
                || store is not (ClusterProvider.Redis or ClusterProvider.AzureStorage))
            {
                failures.Add($"Cluster:Kubernetes:Membership is '{options.Kubernetes.Membership}'; use Redis or AzureStorage: "
                    + "Kubernetes hosting does not keep membership itself.");
            }
        }

        if (store == ClusterProvider.Redis && string.IsNullOrWhiteSpace(options.Redis.ConnectionString))
        {
            failures.Add("Cluster:Redis:ConnectionString is empty; the Redis provider needs the Redis server's address, such as redis.internal:6379.");
        }

        if (store == ClusterProvider.AzureStorage)
        {
            if (string.IsNullOrWhiteSpace(options.AzureStorage.ConnectionString))
            {
                failures.Add("Cluster:AzureStorage:ConnectionString is empty; the AzureStorage provider needs the storage account's connection string.");
            }

            // Azure's rule for table names: 3 to 63 letters and digits, not starting with a digit.
            if (options.AzureStorage.TableName is not { Length: >= 3 and <= 63 } table || !char.IsAsciiLetter(table[0]) || !table.All(char.IsAsciiLetterOrDigit))
            {
                failures.Add($"Cluster:AzureStorage:TableName is '{options.AzureStorage.TableName}'; use 3 to 63 letters and digits, starting with a letter.");
            }
        }

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
