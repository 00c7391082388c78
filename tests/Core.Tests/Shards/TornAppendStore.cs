using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>
/// A blob store that can tear one log append: it writes the first half of the bytes and throws, as a process
/// killed mid-write or a full disk leaves a log. Everything else goes to the inner store unchanged.
/// </summary>
internal sealed class TornAppendStore(IBlobStore inner) : IBlobStore
{
    private int _failAppend;

    /// <summary>Appends seen so far.</summary>
    public int Appends { get; private set; }

    /// <summary>Tears the next append.</summary>
    public void TearNextAppend() => _failAppend = Appends + 1;

    public async Task AppendAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (++Appends == _failAppend)
        {
            await inner.AppendAsync(path, content[..(content.Length / 2)], cancellationToken);
            throw new IOException("The process died in the middle of the append.");
        }

        await inner.AppendAsync(path, content, cancellationToken);
    }

    public Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken) => inner.ReadAsync(path, cancellationToken);

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken) => inner.OpenReadAsync(path, cancellationToken);

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        inner.WriteAsync(path, content, cancellationToken);

    public Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken) =>
        inner.WriteAsync(path, writeContent, cancellationToken);

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);
}
