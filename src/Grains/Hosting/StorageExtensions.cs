using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Grains.Hosting;

/// <summary>The one place that sets up where the cluster keeps its data, called by the silo and the gateway.</summary>
public static class StorageExtensions
{
    /// <summary>
    /// The blob store every part of the cluster uses (gateway for product images, shards for logs):
    /// a local folder, or a container of an Azure Storage account that is created at start; and the
    /// product image store over it. Configured from <c>Storage:*</c>.
    /// </summary>
    public static IServiceCollection AddOutfitFinderStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(service => service.ServiceType == typeof(IBlobStore)))
        {
            // Embedded mode: the gateway and its in-process silo share one container and one store.
            return services;
        }

        services.AddOptions<StorageOptions>().BindChecked(configuration.GetSection("Storage")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddSingleton<IBlobStore>(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return storage.Kind == StorageKind.AzureBlob
                ? new AzureBlobStore(new BlobContainerClient(storage.ConnectionString, storage.Container))
                : new LocalFolderBlobStore(Path.GetFullPath(storage.Root));
        });
        services.AddHostedService<StorageContainerCreator>();
        services.TryAddSingleton<ProductImageStore>();
        return services;
    }
}
