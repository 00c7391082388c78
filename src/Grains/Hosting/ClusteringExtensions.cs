using System.Diagnostics;
using Azure.Data.Tables;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// The one place that decides how silos and clients find each other, from <c>Cluster:*</c>: the
/// standalone silo, the gateway's embedded silo and the gateway in <c>Client</c> mode all call it,
/// so they always agree on provider, ports and ids.
/// </summary>
public static class ClusteringExtensions
{
    /// <summary>Joins this silo to the cluster <c>Cluster:Provider</c> names.</summary>
    /// <exception cref="OptionsValidationException">A <c>Cluster</c> setting is invalid; the message names it.</exception>
    public static ISiloBuilder AddOutfitFinderClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var cluster = configuration.GetOutfitFinderClusterOptions();
        silo.Services.AddOutfitFinderClusterOptions(configuration);
        switch (cluster.Provider)
        {
            case ClusterProvider.Localhost:
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
                silo.Configure<EndpointOptions>(endpoints => endpoints.AdvertisedIPAddress = IPAddress.Loopback);
                break;
            case ClusterProvider.Redis or ClusterProvider.AzureStorage:
                silo.Configure<ClusterOptions>(ids => (ids.ClusterId, ids.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
                var advertised = cluster.ResolveAdvertisedIP();
                // Listening on every interface lets a silo that advertises its LAN address still accept
                // connections however it is reached; a loopback address (the local harness) keeps it private.
                silo.ConfigureEndpoints(advertised, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
                silo.UseMembershipStore(cluster);
                break;
            case ClusterProvider.Kubernetes:
                // Kubernetes hosting names the silo after its pod, advertises the pod IP, listens on every
                // interface on these ports and takes the cluster and service ids from the pod's labels
                // (ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID), so only the ports and the store are ours to set.
                silo.Configure<EndpointOptions>(endpoints => (endpoints.SiloPort, endpoints.GatewayPort) = (cluster.SiloPort, cluster.GatewayPort));
                silo.UseKubernetesHosting();
                silo.UseMembershipStore(cluster);
                break;
            default:
                throw NoSetUp(cluster.Provider);
        }

        return silo;
    }

    /// <summary>Connects this client to the cluster <c>Cluster:Provider</c> names, through a silo's gateway port.</summary>
    /// <exception cref="OptionsValidationException">A <c>Cluster</c> setting is invalid; the message names it.</exception>
    public static IClientBuilder AddOutfitFinderClustering(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        var cluster = configuration.GetOutfitFinderClusterOptions();
        client.Services.AddOutfitFinderClusterOptions(configuration);
        switch (cluster.Provider)
        {
            case ClusterProvider.Localhost:
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
                break;
            case ClusterProvider.Redis or ClusterProvider.AzureStorage or ClusterProvider.Kubernetes:
                // A gateway, in a pod or not, reads the silos' gateway addresses from the membership
                // store the silos write: Kubernetes hosting is silo-only and lists nothing for clients.
                // Kubernetes silos take their ids from the pod labels' variables; a gateway pod given the
                // same variables agrees with them without repeating the ids in Cluster:*.
                var kubernetes = cluster.Provider == ClusterProvider.Kubernetes;
                client.Configure<ClusterOptions>(ids => (ids.ClusterId, ids.ServiceId) = (
                    kubernetes ? FromPodOr("ORLEANS_CLUSTER_ID", cluster.ClusterId) : cluster.ClusterId,
                    kubernetes ? FromPodOr("ORLEANS_SERVICE_ID", cluster.ServiceId) : cluster.ServiceId));
                switch (cluster.MembershipStore)
                {
                    case ClusterProvider.Redis:
                        client.UseRedisClustering(redis => redis.ConfigurationOptions = RedisOptions(cluster));
                        break;
                    case ClusterProvider.AzureStorage:
                        client.UseAzureStorageClustering(table =>
                        {
                            table.TableName = cluster.AzureStorage.TableName;
                            table.TableServiceClient = new TableServiceClient(cluster.AzureStorage.ConnectionString);
                        });
                        break;
                    default:
                        throw NoSetUp(cluster.Provider);
                }

                break;
            default:
                throw NoSetUp(cluster.Provider);
        }

        return client;
    }

    /// <summary>
    /// The <c>Cluster</c> section, validated now rather than at start: the provider and mode decide
    /// which services get registered at all.
    /// </summary>
    /// <exception cref="OptionsValidationException">A <c>Cluster</c> setting is invalid; the message names it.</exception>
    public static OutfitFinderClusterOptions GetOutfitFinderClusterOptions(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection("Cluster").GetValidated(new OutfitFinderClusterOptionsValidator());
    }

    /// <summary>The same section as <see cref="IOptions{TOptions}"/>, for services that read it later.</summary>
    private static void AddOutfitFinderClusterOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OutfitFinderClusterOptions>().BindChecked(configuration.GetSection("Cluster")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutfitFinderClusterOptions>, OutfitFinderClusterOptionsValidator>());
    }

    /// <summary>Keeps membership in the store <see cref="OutfitFinderClusterOptions.MembershipStore"/> names.</summary>
    private static void UseMembershipStore(this ISiloBuilder silo, OutfitFinderClusterOptions cluster)
    {
        switch (cluster.MembershipStore)
        {
            case ClusterProvider.Redis:
                silo.UseRedisClustering(redis => redis.ConfigurationOptions = RedisOptions(cluster));
                // The grain directory (which silo runs each shard, replica and catalog) goes into the same Redis. Orleans'
                // default directory is spread over the silos themselves: when a silo dies, the entries it held can be
                // looked up nowhere until membership declares it dead (some ten seconds), so a gateway that had not
                // cached a shard's address could not reach it — though the shard runs on a live silo and a search needs
                // it. Entries in Redis outlive any silo; those of a dead silo are dropped once it is declared dead.
                if (cluster.Redis.GrainDirectory)
                {
                    silo.UseRedisGrainDirectoryAsDefault(redis => redis.ConfigurationOptions = RedisOptions(cluster));
                }

                break;
            case ClusterProvider.AzureStorage:
                silo.UseAzureStorageClustering(table =>
                {
                    table.TableName = cluster.AzureStorage.TableName;
                    table.TableServiceClient = new TableServiceClient(cluster.AzureStorage.ConnectionString);
                });
                break;
            default:
                throw NoSetUp(cluster.Provider);
        }
    }

    /// <summary>
    /// The store's Redis settings, parsed afresh for each user: Orleans' Redis providers each open their own connection
    /// and may adjust the options they are given.
    /// </summary>
    private static ConfigurationOptions RedisOptions(OutfitFinderClusterOptions cluster) =>
        ConfigurationOptions.Parse(cluster.Redis.ConnectionString!);

    private static string FromPodOr(string variable, string fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : fallback;

    private static UnreachableException NoSetUp(ClusterProvider provider) =>
        new($"Cluster:Provider {provider} passed validation but has no clustering set-up here.");
}
