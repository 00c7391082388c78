using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>
/// A blob store that counts appends and can tear one: it writes only the first bytes of it and throws, as a
/// process killed mid-write or a full disk leaves a log. Everything else goes to the inner store unchanged.
/// </summary>
internal sealed class TornAppendStore(IBlobStore inner) : IBlobStore
{
    private int? _keepOfNextAppend;

    /// <summary>Appends seen so far, the torn one included.</summary>
    public int Appends { get; private set; }

    /// <summary>Tears the next append after <paramref name="keepBytes"/> of its bytes (null: half of them).</summary>
    public void TearNextAppend(int? keepBytes = null) => _keepOfNextAppend = keepBytes ?? -1;

    public async Task AppendAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Appends++;
        if (_keepOfNextAppend is { } keep)
        {
            _keepOfNextAppend = null;
            await inner.AppendAsync(path, content[..(keep < 0 ? content.Length / 2 : keep)], cancellationToken);
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
