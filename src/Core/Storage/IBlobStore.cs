namespace OutfitFinder.Core.Storage;

/// <summary>
/// The one storage port: named blobs under '/'-separated paths. Adapters: a local folder
/// (embedded default) and Azure Blob Storage. Paths are relative, never start with '/',
/// and never contain '..'; every member throws <see cref="ArgumentException"/> for a path that
/// breaks <see cref="BlobPath"/>'s rules.
/// </summary>
public interface IBlobStore
{
    /// <summary>Whole blob, or null when it does not exist.</summary>
    Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// The blob as a stream read as it is consumed (for large blobs such as manifests, which are
    /// never held whole), or null when it does not exist.
    /// </summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Replaces the blob atomically: readers see the old or the new content, never a mix.</summary>
    Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the blob atomically with what <paramref name="writeContent"/> writes to the stream
    /// it is given, so that a blob larger than any buffer (a shard snapshot) is never held whole.
    /// Readers see the old or the new content, never a mix; when <paramref name="writeContent"/>
    /// throws (or the write is cancelled) the old content stays and nothing else is left visible.
    /// </summary>
    /// <remarks>
    /// The stream belongs to the store: <paramref name="writeContent"/> writes to it with the
    /// asynchronous methods (an adapter may refuse synchronous writes, which would block on the
    /// network), and neither seeks nor disposes it. The new content is in place when the returned
    /// task completes.
    /// </remarks>
    Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken);

    /// <summary>Appends to the blob (creating it), returning only once the bytes are durable.</summary>
    Task AppendAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Deletes the blob; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Paths of the blobs under <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);
}
