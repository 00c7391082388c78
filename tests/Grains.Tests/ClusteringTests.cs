using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.Messaging;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Tests;

public sealed class ClusteringTests
{
    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static IServiceCollection SiloServices(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.AddOutfitFinderClustering(Configuration(settings)));
        return builder.Services;
    }

    private static IServiceCollection ClientServices(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.AddOutfitFinderClustering(Configuration(settings)));
        return builder.Services;
    }

    /// <summary>The assembly of the last registration of <typeparamref name="TService"/>, by type or by factory.</summary>
    private static string? Implementation<TService>(IServiceCollection services) =>
        services.LastOrDefault(d => d.ServiceType == typeof(TService)) is { } last
            ? (last.ImplementationType ?? last.ImplementationFactory?.Method.DeclaringType)?.Assembly.GetName().Name
            : null;

    [Theory]
    [InlineData("Redis", "Orleans.Clustering.Redis")]
    [InlineData("AzureStorage", "Orleans.Clustering.AzureStorage")]
    public void Silo_KeepsMembershipInTheNamedStore_AndAdvertisesTheConfiguredAddress(string provider, string assembly)
    {
        var services = SiloServices(new()
        {
            ["Cluster:Provider"] = provider,
            ["Cluster:Redis:ConnectionString"] = "127.0.0.1:6379",
            ["Cluster:AzureStorage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Cluster:AdvertisedIP"] = "10.1.2.3",
            ["Cluster:SiloPort"] = "11200",
            ["Cluster:GatewayPort"] = "30200",
            ["Cluster:ClusterId"] = "prod",
        });
        using var provided = services.BuildServiceProvider();

        var endpoints = provided.GetRequiredService<IOptions<EndpointOptions>>().Value;
        var ids = provided.GetRequiredService<IOptions<ClusterOptions>>().Value;

        Assert.Equal(assembly, Implementation<IMembershipTable>(services));
        Assert.Equal((IPAddress.Parse("10.1.2.3"), 11200, 30200), (endpoints.AdvertisedIPAddress, endpoints.SiloPort, endpoints.GatewayPort));
        Assert.Equal(("prod", "outfitfinder"), (ids.ClusterId, ids.ServiceId));
    }

    [Fact]
    public void Silo_OnKubernetes_UsesKubernetesHosting_AndTheNamedMembershipStore()
    {
        var services = SiloServices(new()
        {
            ["Cluster:Provider"] = "Kubernetes",
            ["Cluster:Kubernetes:Membership"] = "Redis",
            ["Cluster:Redis:ConnectionString"] = "redis:6379",
        });

        Assert.Equal("Orleans.Clustering.Redis", Implementation<IMembershipTable>(services));
        Assert.Contains(services, d => (d.ImplementationType ?? d.ServiceType).Assembly.GetName().Name == "Orleans.Hosting.Kubernetes");
    }

    [Theory]
    [InlineData("Redis", "Orleans.Clustering.Redis")]
    [InlineData("AzureStorage", "Orleans.Clustering.AzureStorage")]
    public void Client_OnKubernetes_FindsGatewaysInTheSilosMembershipStore(string membership, string assembly)
    {
        var services = ClientServices(new()
        {
            ["Cluster:Provider"] = "Kubernetes",
            ["Cluster:Kubernetes:Membership"] = membership,
            ["Cluster:Redis:ConnectionString"] = "redis:6379",
            ["Cluster:AzureStorage:ConnectionString"] = "UseDevelopmentStorage=true",
        });

        Assert.Equal(assembly, Implementation<IGatewayListProvider>(services));
    }

    /// <summary>The assembly of the default grain directory (built, not connected); null when the silos keep Orleans' own.</summary>
    private static string? DefaultGrainDirectory(IServiceCollection services)
    {
        using var provided = services.BuildServiceProvider();
        return provided.GetKeyedService<IGrainDirectory>(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY)?.GetType().Assembly.GetName().Name;
    }

    [Theory]
    [InlineData("Redis", null, "Orleans.GrainDirectory.Redis")]
    [InlineData("Kubernetes", "Redis", "Orleans.GrainDirectory.Redis")]
    [InlineData("AzureStorage", null, null)]
    [InlineData("Localhost", null, null)]
    [InlineData("Redis", null, null, "false")]
    public void Silo_KeepsTheGrainDirectoryInRedis_WhenMembershipIsThere(string provider, string? kubernetesMembership, string? assembly,
        string? grainDirectorySetting = null)
    {
        // A directory outside the silos lets a gateway find a shard on a live silo while a dead silo's death is
        // still unconfirmed; with Orleans' own, the entries the dead silo held are out of reach for that time.
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Provider"] = provider,
            ["Cluster:Kubernetes:Membership"] = kubernetesMembership,
            ["Cluster:Redis:ConnectionString"] = "127.0.0.1:6379",
            ["Cluster:AzureStorage:ConnectionString"] = "UseDevelopmentStorage=true",
        };
        if (grainDirectorySetting is not null)
        {
            settings["Cluster:Redis:GrainDirectory"] = grainDirectorySetting;
        }

        var services = SiloServices(settings);

        Assert.Equal(assembly, DefaultGrainDirectory(services));
    }

    [Fact]
    public void AdvertisedIP_IsLoopback_ForLocalhost_AndNotLoopback_ForAClusteredProvider_WhenTheMachineHasANetwork()
    {
        var clustered = new OutfitFinderClusterOptions { Provider = ClusterProvider.Redis }.ResolveAdvertisedIP();
        var hasNetwork = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Any(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up
                && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback
                && n.GetIPProperties().UnicastAddresses.Any(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork));

        Assert.Equal(IPAddress.Loopback, new OutfitFinderClusterOptions().ResolveAdvertisedIP());
        Assert.Equal(hasNetwork, !IPAddress.IsLoopback(clustered));
    }
}
