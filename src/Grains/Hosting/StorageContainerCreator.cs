using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// Creates the Azure blob container when <c>Storage:Kind</c> is <c>AzureBlob</c> and it is
/// missing, so a new storage account needs no manual step; start-up fails with the setting to fix
/// when the account cannot be reached or refuses the credentials.
/// </summary>
internal sealed class StorageContainerCreator(IOptions<StorageOptions> options, IBlobStore store) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Kind != StorageKind.AzureBlob || store is not AzureBlobStore azure)
        {
            return;
        }

        try
        {
            await azure.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException)
        {
            // AggregateException: the client library gave up retrying an unreachable endpoint.
            var reason = e is RequestFailedException failed ? $"{failed.Status} {failed.ErrorCode}" : e.Message;
            throw new InvalidOperationException(
                $"Storage:ConnectionString and Storage:Container name container '{azure.Container.Name}' of account '{azure.Container.AccountName}', which could not be created or reached ({reason}); check the connection string's endpoint, account and key.", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
