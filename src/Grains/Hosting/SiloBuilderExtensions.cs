using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Placement;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Cluster;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Ingestion;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Hosting;

/// <summary>The one place that turns a plain silo into an OutfitFinder silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Grain locations each silo caches. Orleans sizes its directory caches' tables for this many entries up front (two
    /// tables of 9 MiB at its default of 1,000,000); a cluster holds catalogs, shards, replicas, extractors and jobs,
    /// thousands of grains rather than millions, and a location missing from the cache is only looked up again.
    /// </summary>
    public const int GrainDirectoryCacheSize = 100_000;

    /// <summary>
    /// Adds the grains' services (storage, models, batching, GPU-preferring placement) and the
    /// silo's <c>gpu</c> metadata, all configured from <paramref name="configuration"/> (not from
    /// the host's configuration, so that several silos in one process can differ).
    /// </summary>
    public static ISiloBuilder AddOutfitFinder(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        // Read now, not at start: the metadata is fixed when the silo is built.
        var gpu = configuration.GetSection("Extraction").GetValidated(new SiloGpuOptionsValidator());
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloMetadataKeys.Gpu] = GpuDetector.IsGpuAdvertised(gpu.Gpu) ? "true" : "false",
        });

        // Grain calls carry the caller's trace (a search's spans in the shards and extractors); spans are made only
        // when a listener samples them, so this costs nothing with tracing off.
        silo.AddActivityPropagation();
        silo.AddOutfitFinderDashboard(configuration);

        var services = silo.Services;
        services.Configure<GrainDirectoryOptions>(directory => directory.CacheSize = GrainDirectoryCacheSize);
        services.AddOutfitFinderStorage(configuration);
        services.AddOutfitFinderImageLimits(configuration);

        services.AddOptions<ShardCompactionOptions>().Bind(configuration.GetSection("Storage:Compaction")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardCompactionOptions>, ShardCompactionOptionsValidator>();
        services.AddOptions<ShardIndexOptions>().Bind(configuration.GetSection("Search")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardIndexOptions>, ShardIndexOptionsValidator>();
        services.TryAddSingleton<GraphBuildSlots>();

        services.AddOptions<ExtractorPlacementOptions>().Bind(configuration.GetSection("Extraction:Placement"));
        services.AddOptions<EmbeddingBatcherOptions>().Bind(configuration.GetSection("Extraction:Batching")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmbeddingBatcherOptions>>(
            new SectionValidator<EmbeddingBatcherOptions>(new EmbeddingBatcherOptionsValidator(), "Extraction:Batching"));
        services.AddOptions<OnnxEmbedderOptions>().BindChecked(configuration.GetSection("Extraction:Onnx")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OnnxEmbedderOptions>>(
            new SectionValidator<OnnxEmbedderOptions>(new OnnxEmbedderOptionsValidator(), "Extraction:Onnx"));
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
        services.AddOptions<ShardPlacementOptions>().Bind(configuration.GetSection("Cluster:Shards"));
        services.AddPlacementFilter<ShardPlacementFilterStrategy, ShardPlacementFilterDirector>(ServiceLifetime.Singleton);
        services.AddOptions<ShardRebalanceOptions>().Bind(configuration.GetSection("Cluster:Rebalance")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardRebalanceOptions>, ShardRebalanceOptionsValidator>();
        services.AddHostedService<ShardBalancer>();
        services.AddOptions<ShardReplicaOptions>().Bind(configuration.GetSection("Cluster:Replicas")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShardReplicaOptions>, ShardReplicaOptionsValidator>();
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
        services.AddExtractorRouter();
        services.TryAddSingleton<IIngestionTarget>(sp => new ClusterIngestionTarget(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<ExtractorRouter>(), sp.GetRequiredService<IBlobStore>()));
        services.AddHostedService<IngestionJobKeeper>();
        return services;
    }

    /// <summary>The <see cref="ExtractorRouter"/> every caller of extractors shares: silos and client-mode gateways alike.</summary>
    public static IServiceCollection AddExtractorRouter(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ExtractorRouter>();
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
        StreetHead.ModelName => StreetHead.Create(options.Value, loggers.CreateLogger<ResNet18Embedder>()),
        _ when PooledResNet18Embedder.IsModel(model) => PooledResNet18Embedder.Create(model, options.Value, loggers.CreateLogger<ResNet18Embedder>()),
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
