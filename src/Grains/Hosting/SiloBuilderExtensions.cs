using System.Net;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Configuration;
using Orleans.Placement;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Ingestion;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Hosting;

/// <summary>The one place that turns a plain silo into an OutfitFinder silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds the grains' services (storage, models, batching, GPU-preferring placement) and the
    /// silo's <c>gpu</c> metadata, all configured from <paramref name="configuration"/> (not from
    /// the host's configuration, so that several silos in one process can differ).
    /// </summary>
    public static ISiloBuilder AddOutfitFinder(this ISiloBuilder silo, IConfiguration configuration)
    {
        var gpu = configuration.GetSection("Extraction").Get<SiloGpuOptions>() ?? new SiloGpuOptions();
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloMetadataKeys.Gpu] = GpuDetector.IsGpuAdvertised(gpu.Gpu) ? "true" : "false",
        });

        var services = silo.Services;
        services.AddOutfitFinderStorage(configuration);
        services.AddOptions<ShardCompactionOptions>().Bind(configuration.GetSection("Storage:Compaction")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardCompactionOptions>, ShardCompactionOptionsValidator>();
        services.AddOptions<ShardIndexOptions>().Bind(configuration.GetSection("Search")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardIndexOptions>, ShardIndexOptionsValidator>();
        services.TryAddSingleton<GraphBuildSlots>();
        services.AddOptions<ImageLimits>().Bind(configuration.GetSection("Images"))
            .Validate(l => l.MaxBytes > 0 && l.MaxPixels > 0, "Images:MaxBytes and Images:MaxPixels must be positive.")
            .ValidateOnStart();
        services.AddOptions<ExtractorPlacementOptions>().Bind(configuration.GetSection("Extraction:Placement"));
        services.AddOptions<EmbeddingBatcherOptions>().Bind(configuration.GetSection("Extraction:Batching")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmbeddingBatcherOptions>, EmbeddingBatcherOptionsValidator>();
        services.AddOptions<OnnxEmbedderOptions>().Bind(configuration.GetSection("Extraction:Onnx")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OnnxEmbedderOptions>, OnnxEmbedderOptionsValidator>();
        var configuredModels = configuration.GetSection("Models").GetChildren().Select(model => model.Key).ToArray();
        foreach (var model in configuredModels)
        {
            services.AddOptions<ConfiguredModelOptions>(model).Bind(configuration.GetSection("Models").GetSection(model)).ValidateOnStart();
        }

        services.AddSingleton(new ConfiguredModels(configuredModels));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConfiguredModelOptions>>(new ConfiguredModelOptionsValidator(ModelCatalog.BuiltIn)));
        services.AddOptions<HeadOptions>().Bind(configuration.GetSection("Extraction")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HeadOptions>, HeadOptionsValidator>();
        services.AddSingleton(sp => new ModelCatalog(sp.GetRequiredService<ConfiguredModels>(), sp.GetRequiredService<IOptionsMonitor<ConfiguredModelOptions>>(),
            new HeadFolder(sp.GetRequiredService<IOptions<HeadOptions>>().Value.HeadsFolder)));
        services.AddSingleton<IEmbedderFactory, OnnxEmbedderFactory>();
        services.AddSingleton(sp => new EmbedderRegistry(
            sp.GetRequiredService<IEmbedderFactory>(),
            sp.GetRequiredService<ModelCatalog>(),
            embedder => new EmbeddingBatcher(embedder, sp.GetRequiredService<IOptions<EmbeddingBatcherOptions>>().Value,
                sp.GetRequiredService<ILogger<EmbeddingBatcher>>())));
        services.AddOptions<EmbedderWarmUpOptions>().Bind(configuration.GetSection("Extraction"));
        services.AddHostedService<EmbedderWarmUp>();
        services.AddPlacementFilter<GpuPreferredPlacementFilterStrategy, GpuPreferredPlacementFilterDirector>(ServiceLifetime.Singleton);
        services.AddOutfitFinderIngestion(configuration);
        return silo;
    }

    /// <summary>
    /// Bulk ingestion jobs: their sources (<c>Ingestion:Sources:NAME</c>), the cluster they feed,
    /// and the scan that resumes jobs whose silo stopped.
    /// </summary>
    public static IServiceCollection AddOutfitFinderIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestionOptions>().Bind(configuration.GetSection("Ingestion")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>());
        services.TryAddSingleton<IngestionSources>();
        services.TryAddSingleton<IIngestionTarget>(sp => new ClusterIngestionTarget(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IBlobStore>()));
        services.AddHostedService<IngestionJobKeeper>();
        return services;
    }

    /// <summary>Localhost clustering on the configured ports: the embedded default and single-machine setups.</summary>
    public static ISiloBuilder UseOutfitFinderClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.GetSection("Cluster").Get<ClusterOptions>() ?? new ClusterOptions();
        silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
        silo.Configure<EndpointOptions>(endpoints => endpoints.AdvertisedIPAddress = IPAddress.Loopback);
        return silo;
    }

    /// <summary>
    /// The blob store every part of the cluster uses (gateway for product images, shards for logs):
    /// a local folder, or a container of an Azure Storage account that is created at start.
    /// </summary>
    public static IServiceCollection AddOutfitFinderStorage(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(service => service.ServiceType == typeof(IBlobStore)))
        {
            // Embedded mode: the gateway and its in-process silo share one container and one store.
            return services;
        }

        services.AddOptions<StorageOptions>().Bind(configuration.GetSection("Storage")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddSingleton<IBlobStore>(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return storage.Kind == StorageKind.AzureBlob
                ? new AzureBlobStore(new BlobContainerClient(storage.ConnectionString, storage.Container))
                : new LocalFolderBlobStore(Path.GetFullPath(storage.Root));
        });
        services.AddHostedService<StorageContainerCreator>();
        return services;
    }
}

/// <summary>Loads the ONNX models this cluster serves: the built-in ones and those configured under <c>Models:NAME</c>.</summary>
internal sealed class OnnxEmbedderFactory(
    IOptions<OnnxEmbedderOptions> options, IOptionsMonitor<ConfiguredModelOptions> configured, ModelCatalog models, ILoggerFactory loggers)
    : IEmbedderFactory
{
    public IImageEmbedder Create(string model) => model switch
    {
        ResNet18Embedder.ModelName => ResNet18Embedder.Create(options.Value, loggers.CreateLogger<ResNet18Embedder>()),
        "whitebox" => new OutfitFinder.Core.Extraction.WhiteBox.WhiteBoxEmbedder(),
        _ when models.IsConfigured(model) =>
            OnnxImageEmbedder.Create(model, configured.Get(model), options.Value, loggers.CreateLogger<OnnxImageEmbedder>()),
        _ when HeadModelName.TryParse(model, out var baseModel, out var head) => WithHead(baseModel, head, models.GetHead(model)),
        _ => throw new ArgumentException($"Model '{model}' is not served by this cluster."),
    };

    /// <summary>A base+head model: its own instance of the base model, followed by the head.</summary>
    private ProjectedEmbedder WithHead(string baseModel, string headName, ProjectionHead head)
    {
        var inner = Create(baseModel);
        try
        {
            return new ProjectedEmbedder(inner, head, headName);
        }
        catch
        {
            inner.Dispose();
            throw;
        }
    }
}
