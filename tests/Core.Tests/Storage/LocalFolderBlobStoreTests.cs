using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>The blob store contract on a local folder, plus what only a folder can show.</summary>
public sealed class LocalFolderBlobStoreTests : BlobStoreContractTests
{
    private readonly TempFolder _folder = new();

    protected override Task<IBlobStore> CreateStoreAsync() =>
        Task.FromResult<IBlobStore>(new LocalFolderBlobStore(_folder.Path));

    protected override Task DeleteStoreAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task WriteAsync_PutsBlobAtMatchingFile_WhenPathIsNested()
    {
        await Store.WriteAsync("catalogs/shoes/manifest", "m"u8.ToArray(), CancellationToken.None);

        var file = Path.Combine(_folder.Path, "catalogs", "shoes", "manifest");
        Assert.Equal("m"u8.ToArray(), await File.ReadAllBytesAsync(file));
        Assert.Equal(["manifest"], Directory.GetFiles(Path.GetDirectoryName(file)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ListAsync_OmitsTemporaryFiles_WhenAnInterruptedWriteLeftOne()
    {
        await Store.WriteAsync("a/blob", "x"u8.ToArray(), CancellationToken.None);
        await File.WriteAllBytesAsync(Path.Combine(_folder.Path, "a", "0123" + LocalFolderBlobStore.TemporarySuffix), [1, 2]);

        Assert.Equal(["a/blob"], await ListAsync(""));
        Assert.Equal(["a/blob"], await ListAsync("a/"));
    }

    [Fact]
    public async Task WriteAsync_LeavesNoTemporaryFile_WhenTheWriterThrows()
    {
        await Store.WriteAsync("a/blob", "old"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => Store.WriteAsync("a/blob", async (stream, token) =>
        {
            await stream.WriteAsync(new byte[100_000], token);
            throw new IOException("Disk full.");
        }, CancellationToken.None));

        Assert.Equal(["blob"], Directory.GetFiles(Path.Combine(_folder.Path, "a")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ReadAsync_ReturnsNull_WhenPathNamesAFolderOfOtherBlobs()
    {
        await Store.WriteAsync("a/b", "x"u8.ToArray(), CancellationToken.None);

        Assert.Null(await Store.ReadAsync("a", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("a", CancellationToken.None));
    }

    [Fact]
    public async Task Constructor_CreatesRootFolder_WhenMissing()
    {
        var root = Path.Combine(_folder.Path, "not", "yet", "there");

        var store = new LocalFolderBlobStore(root + Path.DirectorySeparatorChar);
        await store.WriteAsync("blob", "x"u8.ToArray(), CancellationToken.None);

        Assert.Equal(root, store.RootFolder);
        Assert.True(File.Exists(Path.Combine(root, "blob")));
    }
}
