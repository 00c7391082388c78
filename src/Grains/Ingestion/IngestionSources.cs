using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>The configured ingestion sources, each opened once as a read-only use of a blob store adapter.</summary>
public sealed class IngestionSources(IOptions<IngestionOptions> options)
{
    private readonly ConcurrentDictionary<string, IBlobStore> _stores = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => options.Value.Sources.Keys;

    /// <summary>The source called <paramref name="name"/>, or null when configuration names none.</summary>
    public IBlobStore? Find(string name) =>
        options.Value.Sources.TryGetValue(name, out var source) ? _stores.GetOrAdd(name, _ => Open(source)) : null;

    private static IBlobStore Open(IngestionSourceOptions source) => source.Kind == StorageKind.AzureBlob
        ? new AzureBlobStore(new BlobContainerClient(source.ConnectionString, source.Container))
        : new LocalFolderBlobStore(source.Path!);
}
