using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

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

    private static UnreachableException NoSetUp(ClusterProvider provider) =>
        new($"Cluster:Provider {provider} passed validation but has no clustering set-up here.");
}
