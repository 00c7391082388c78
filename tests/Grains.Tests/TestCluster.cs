using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Tests;

/// <summary>
/// An in-process cluster of real silos running the real grains, with the pixel-grid embedder in
/// place of ONNX. The gpu set given to <see cref="StartAsync"/> says which silo indexes advertise <c>gpu=true</c>.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(InProcessTestCluster cluster, string storageRoot)
    {
        Cluster = cluster;
        StorageRoot = storageRoot;
    }

    public InProcessTestCluster Cluster { get; }
    public string StorageRoot { get; }
    public IClusterClient Client => Cluster.Client;

    public static async Task<TestCluster> StartAsync(int silos, ISet<int> gpuSilos, bool requireGpu = false,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var storageRoot = Directory.CreateTempSubdirectory("outfit-grains-").FullName;
        var siloIndex = 0;
        var builder = new InProcessTestClusterBuilder((short)silos);
        // Test clusters skip placement filters unless told that silos may differ, which ours do.
        builder.Options.AssumeHomogenousSilosForTesting = false;
        builder.ConfigureSilo((options, silo) =>
        {
            var index = Interlocked.Increment(ref siloIndex) - 1;
            var values = new Dictionary<string, string?>
            {
                ["Storage:Root"] = storageRoot,
                ["Extraction:Gpu"] = gpuSilos.Contains(index) ? "true" : "false",
                ["Extraction:Placement:RequireGpu"] = requireGpu ? "true" : "false",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            silo.AddOutfitFinder(configuration);
            silo.Services.AddSingleton<IEmbedderFactory, PixelGridEmbedderFactory>();
            services?.Invoke(silo.Services);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TestCluster(cluster, storageRoot);
    }

    /// <summary>The embedder of each live silo, in silo order.</summary>
    public IReadOnlyList<PixelGridEmbedder> Embedders() => [.. Silos().Select(silo => silo.Embedder)];

    /// <summary>Each live silo's advertised gpu flag (read from the cluster's metadata) and its embedder.</summary>
    public IReadOnlyList<(bool Gpu, PixelGridEmbedder Embedder)> Silos() =>
        [.. Cluster.Silos.Select(silo =>
        {
            var metadata = silo.ServiceProvider.GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(silo.SiloAddress);
            var embedder = ((PixelGridEmbedderFactory)silo.ServiceProvider.GetRequiredService<IEmbedderFactory>()).Embedder;
            return (metadata.Metadata["gpu"] == "true", embedder);
        })];

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }
}
