using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>The blob store contract on Azurite, plus what only Azure Blob Storage can show.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests(AzuriteFixture azurite) : BlobStoreContractTests
{
    private AzureBlobStore AzureStore => (AzureBlobStore)Store;

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        azurite.SkipUnlessRunning();
        return await azurite.CreateStoreAsync();
    }

    protected override async Task DeleteStoreAsync()
    {
        if (azurite.SkipReason is null)
        {
            await AzureStore.Container.DeleteIfExistsAsync();
        }
    }

    [SkippableFact]
    public async Task CreateAsync_CreatesContainer_WhenMissing()
    {
        var name = "created-" + Guid.NewGuid().ToString("N");

        var store = await AzureBlobStore.CreateAsync(azurite.ConnectionString, name, CancellationToken.None);
        var again = await AzureBlobStore.CreateAsync(azurite.ConnectionString, name, CancellationToken.None);
        await again.WriteAsync("blob", "x"u8.ToArray(), CancellationToken.None);

        Assert.Equal(name, store.Container.Name);
        Assert.True((await store.Container.ExistsAsync()).Value);
        Assert.Equal("x"u8.ToArray(), await store.ReadAsync("blob", CancellationToken.None));
        await store.Container.DeleteAsync();
    }

    [SkippableFact]
    public async Task WriteAsync_LeavesAnAppendBlobThatAcceptsAppends_WhenReplacingOne()
    {
        await Store.AppendAsync("log", "torn-tail"u8.ToArray(), CancellationToken.None);

        await Store.WriteAsync("log", "good"u8.ToArray(), CancellationToken.None);
        await Store.AppendAsync("log", "+next"u8.ToArray(), CancellationToken.None);

        Assert.Equal("good+next"u8.ToArray(), await Store.ReadAsync("log", CancellationToken.None));
        var properties = (await AzureStore.Container.GetBlobClient("log").GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, properties.BlobType);
    }

    [SkippableFact]
    public async Task AppendAsync_SplitsContentIntoBlocksOfAtMostTheLimit_WhenContentIsLarger()
    {
        var store = new AzureBlobStore(AzureStore.Container, maxAppendBlockBytes: 1_000);
        var first = Bytes(2_500, seed: 1);
        var second = Bytes(10, seed: 2);

        await store.AppendAsync("log", first, CancellationToken.None);
        await store.AppendAsync("log", second, CancellationToken.None);

        Assert.Equal(first.Concat(second).ToArray(), await store.ReadAsync("log", CancellationToken.None));
        Assert.Equal(4, await CommittedBlocksAsync("log"));
    }

    [SkippableFact]
    public async Task WriteAsync_SplitsContentIntoBlocksOfAtMostTheLimit_WhenContentIsLarger()
    {
        var store = new AzureBlobStore(AzureStore.Container, maxAppendBlockBytes: 1_000);
        var content = Bytes(3_001, seed: 1);

        await store.WriteAsync("snapshot", content, CancellationToken.None);

        Assert.Equal(content, await store.ReadAsync("snapshot", CancellationToken.None));
        Assert.Equal(4, await CommittedBlocksAsync("snapshot"));
    }

    [SkippableFact]
    public async Task WriteAsync_StreamsBlocksOfAtMostTheLimit_AndLeavesAnAppendBlob()
    {
        var store = new AzureBlobStore(AzureStore.Container, maxAppendBlockBytes: 1_000);
        var content = Bytes(2_500, seed: 1);
        await store.AppendAsync("snapshot", "old"u8.ToArray(), CancellationToken.None);

        await store.WriteAsync("snapshot", async (stream, token) =>
        {
            for (var offset = 0; offset < content.Length; offset += 700)
            {
                await stream.WriteAsync(content.AsMemory(offset, Math.Min(700, content.Length - offset)), token);
            }
        }, CancellationToken.None);
        await store.AppendAsync("snapshot", "+"u8.ToArray(), CancellationToken.None);

        Assert.Equal(content.Append((byte)'+').ToArray(), await store.ReadAsync("snapshot", CancellationToken.None));
        Assert.Equal(4, await CommittedBlocksAsync("snapshot"));
        Assert.Equal(["snapshot"], await ContainerBlobNamesAsync());
    }

    [SkippableFact]
    public async Task WriteAsync_LeavesNoStagingBlob_WhenTheStreamedWriterThrows()
    {
        await Store.WriteAsync("blob", "old"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("blob", async (stream, token) =>
        {
            await stream.WriteAsync(Bytes(5 * 1024 * 1024, seed: 2), token);
            throw new IOException("The source broke.");
        }, CancellationToken.None));

        Assert.Equal("old"u8.ToArray(), await Store.ReadAsync("blob", CancellationToken.None));
        Assert.Equal(["blob"], await ContainerBlobNamesAsync());
    }

    [SkippableFact]
    public async Task WriteAsync_RefusesSynchronousWritesToTheStream()
    {
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => Store.WriteAsync("blob", (stream, _) =>
        {
            stream.Write("x"u8);
            return Task.CompletedTask;
        }, CancellationToken.None));

        Assert.Contains("asynchronous", e.Message, StringComparison.Ordinal);
        Assert.Null(await Store.ReadAsync("blob", CancellationToken.None));
    }

    [SkippableFact]
    public async Task AppendAsync_AppendsOnce_WhenTheAnswerToACommittedBlockIsLost()
    {
        var loseAnswer = new LoseFirstAppendAnswerPolicy();
        var options = new BlobClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(loseAnswer, HttpPipelinePosition.PerRetry);
        var container = new BlobContainerClient(azurite.ConnectionString, AzureStore.Container.Name, options);
        var store = new AzureBlobStore(container);
        await store.AppendAsync("log", "first,"u8.ToArray(), CancellationToken.None);
        loseAnswer.Armed = true;

        await store.AppendAsync("log", "second"u8.ToArray(), CancellationToken.None);

        Assert.Equal(2, loseAnswer.AppendAttemptsWhileArmed);
        Assert.Equal("first,second"u8.ToArray(), await store.ReadAsync("log", CancellationToken.None));
    }

    [SkippableFact]
    public async Task AppendAsync_ThrowsIOException_WhenBlobIsNotAnAppendBlob()
    {
        await AzureStore.Container.UploadBlobAsync("block", BinaryData.FromBytes("x"u8.ToArray()));

        var e = await Assert.ThrowsAsync<IOException>(() => Store.AppendAsync("block", "y"u8.ToArray(), CancellationToken.None));

        Assert.Contains("not an append blob", e.Message);
        Assert.Equal("x"u8.ToArray(), await Store.ReadAsync("block", CancellationToken.None));
    }

    [SkippableFact]
    public async Task WriteAsync_LeavesBlobAndNoStagingBlob_WhenCancelled()
    {
        await Store.WriteAsync("blob", "old"u8.ToArray(), CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteAsync("blob", "new"u8.ToArray(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.AppendAsync("blob", "new"u8.ToArray(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.ReadAsync("blob", cancelled.Token));

        Assert.Equal("old"u8.ToArray(), await Store.ReadAsync("blob", CancellationToken.None));
        Assert.Equal(["blob"], await ContainerBlobNamesAsync());
    }

    [SkippableFact]
    public async Task WriteAsync_DeletesItsStagingBlob_WhenDone()
    {
        await Store.WriteAsync("a/blob", Bytes(1_000, seed: 1), CancellationToken.None);
        await Store.WriteAsync("a/blob", Bytes(10, seed: 2), CancellationToken.None);

        Assert.Equal(["a/blob"], await ContainerBlobNamesAsync());
    }

    [SkippableFact]
    public async Task ListAsync_OmitsStagingBlobs_WhenAnInterruptedWriteLeftOne()
    {
        await Store.WriteAsync("a/blob", "x"u8.ToArray(), CancellationToken.None);
        await AzureStore.Container.UploadBlobAsync(AzureBlobStore.StagingFolder + "/0123", BinaryData.FromBytes([1, 2]));

        Assert.Equal(["a/blob"], await ListAsync(""));
        Assert.Empty(await ListAsync(AzureBlobStore.StagingFolder + "/"));
    }

    [SkippableFact]
    public async Task ReadAsync_ThrowsRequestFailed_WhenContainerIsMissing()
    {
        var store = new AzureBlobStore(azurite.NewContainerClient());

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => store.ReadAsync("blob", CancellationToken.None));

        Assert.Equal(BlobErrorCode.ContainerNotFound.ToString(), e.ErrorCode);
    }

    private async Task<int> CommittedBlocksAsync(string path) =>
        (await AzureStore.Container.GetBlobClient(path).GetPropertiesAsync()).Value.BlobCommittedBlockCount;

    private async Task<List<string>> ContainerBlobNamesAsync()
    {
        var names = new List<string>();
        await foreach (var item in AzureStore.Container.GetBlobsAsync(new GetBlobsOptions()))
        {
            names.Add(item.Name);
        }

        return names;
    }

    /// <summary>
    /// Once armed, lets the first append block reach the service and commit, then drops its answer
    /// as a broken connection would, so that the client library sends the block again.
    /// </summary>
    private sealed class LoseFirstAppendAnswerPolicy : HttpPipelinePolicy
    {
        public bool Armed { get; set; }

        public int AppendAttemptsWhileArmed { get; private set; }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (Armed && message.Request.Uri.ToString().Contains("comp=appendblock", StringComparison.Ordinal))
            {
                AppendAttemptsWhileArmed++;
                if (AppendAttemptsWhileArmed == 1 && message.Response.Status == 201)
                {
                    throw new IOException("The connection broke after the block was committed.");
                }
            }
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("The store only makes asynchronous calls.");
    }
}
