using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Hosting;

/// <summary>Which store keeps the cluster's data.</summary>
public enum StorageKind
{
    /// <summary>A local folder (<see cref="StorageOptions.Root"/>): a laptop, or one machine.</summary>
    Folder,

    /// <summary>A container of an Azure Storage account (or Azurite), shared by every silo.</summary>
    AzureBlob,
}

/// <summary>Where the cluster keeps catalogs, shard logs and product images. Bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>Folder</c> or <c>AzureBlob</c>. Default: <c>Folder</c>.</summary>
    public StorageKind Kind { get; set; } = StorageKind.Folder;

    /// <summary>Folder for the local-folder store (the embedded default). Default: <c>./.outfit-data</c>.</summary>
    public string Root { get; set; } = "./.outfit-data";

    /// <summary>
    /// Connection string of the Azure Storage account, used when <see cref="Kind"/> is
    /// <c>AzureBlob</c> (<c>UseDevelopmentStorage=true</c> for a local Azurite). Default: none.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Blob container that holds everything when <see cref="Kind"/> is <c>AzureBlob</c>; created
    /// at start when missing. Default: <c>outfitfinder</c>.
    /// </summary>
    public string Container { get; set; } = "outfitfinder";
}

/// <summary>Fails start-up with a sentence naming the <c>Storage</c> setting to fix.</summary>
public sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        switch (options.Kind)
        {
            case StorageKind.Folder:
                if (string.IsNullOrWhiteSpace(options.Root))
                {
                    failures.Add("Storage:Root must name a folder.");
                }

                break;
            case StorageKind.AzureBlob:
                ValidateConnectionString(options.ConnectionString, failures);
                if (options.Container is null || !ContainerName().IsMatch(options.Container))
                {
                    failures.Add($"Storage:Container is '{options.Container}'; an Azure blob container name is 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.");
                }

                break;
            default:
                failures.Add($"Storage:Kind is '{options.Kind}'; use Folder or AzureBlob.");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateConnectionString(string? connectionString, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.Add("Storage:ConnectionString must be set when Storage:Kind is AzureBlob (UseDevelopmentStorage=true for a local Azurite).");
            return;
        }

        try
        {
            _ = new BlobServiceClient(connectionString);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            // The value holds an account key: it is never repeated in the message.
            failures.Add("Storage:ConnectionString is not an Azure Storage connection string; copy it from the storage account's access keys, or use UseDevelopmentStorage=true for a local Azurite.");
        }
    }

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}\z")]
    private static partial Regex ContainerName();
}
