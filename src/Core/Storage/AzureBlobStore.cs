using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace OutfitFinder.Core.Storage;

/// <summary>
/// <see cref="IBlobStore"/> on an Azure Blob Storage container (Azurite on a laptop or in tests).
/// A blob path is the blob's name. Every blob this store creates is an append blob, so every blob
/// accepts <see cref="AppendAsync"/>, including one that a replacing write has just
/// replaced (a shard log is rewritten to cut a torn tail, then appended to).
/// </summary>
/// <remarks>
/// <para>
/// <b>Appends</b> add append blocks of at most the service's largest block size (100 MiB), each
/// acknowledged by the service only once it is durable. Each block carries the offset it must land
/// at, so a block that the client library resends after losing the response of an attempt that
/// did commit is detected instead of appended twice. Content larger than one block is sent as
/// several; a failure between them leaves a torn tail, which is what <see cref="OutfitFinder.Core.Shards.Files.ShardLog"/> cuts.
/// </para>
/// <para>
/// <b>Replacing writes</b>, whole or streamed, upload the content to a staging append blob under
/// <see cref="StagingFolder"/>, copy it over the destination on the server and delete it. The
/// service swaps the destination's content in one step when it completes a copy, so readers see
/// the old or the new content, never a mix, and the copy keeps the blob an append blob. A copy
/// within one storage account (the only kind made here) normally completes before the service
/// answers; if it reports the copy as still pending instead, the write waits for it, and until
/// it finishes a reader may see the destination incomplete. A write that fails or is cancelled
/// before the copy starts leaves the destination as it was. A process that dies between the
/// upload and the delete leaves a staging blob behind: it is never listed, and a lifecycle rule on
/// the <see cref="StagingFolder"/> prefix can remove old ones.
/// </para>
/// <para>
/// Appends, replacing writes and deletes of one path are serialised inside the process (so an
/// append never lands in the middle of a replacing copy or of another multi-block append), not
/// across processes: like the local folder store, a path has one writer at a time.
/// </para>
/// </remarks>
public sealed class AzureBlobStore : IBlobStore
{
    /// <summary>
    /// Folder of the staging blobs that replacing writes upload before copying them into place.
    /// Its name ends in <see cref="BlobPath.TemporarySuffix"/>, so no blob path can reach into it.
    /// </summary>
    public const string StagingFolder = "staging" + BlobPath.TemporarySuffix;

    private const string StagingPrefix = StagingFolder + "/";

    // A read retries when an append or a replacing write changes the blob between the attempts
    // the client library makes to finish one download.
    private const int ReadAttempts = 3;

    // Block size of streamed writes, and so the most a streamed write buffers: large enough that
    // a 2 GB snapshot takes ~500 of an append blob's 50,000 blocks, small enough to hold cheaply.
    private const int StreamedBlockBytes = 4 * 1024 * 1024;

    // Striped like the local folder store's locks, and static so that two store instances on the
    // same container in one process still serialise.
    private static readonly SemaphoreSlim[] PathLocks = CreatePathLocks(64);

    private readonly BlobContainerClient _container;
    private readonly int _maxAppendBlockBytes;

    /// <summary>A store on <paramref name="container"/>, which must exist.</summary>
    public AzureBlobStore(BlobContainerClient container)
        : this(container, maxAppendBlockBytes: null)
    {
    }

    /// <summary>
    /// Tests split content into blocks smaller than the service's limit to see the splitting
    /// without uploading hundreds of megabytes.
    /// </summary>
    internal AzureBlobStore(BlobContainerClient container, int? maxAppendBlockBytes)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        var serviceLimit = container.GetAppendBlobClient("any").AppendBlobMaxAppendBlockBytes;
        _maxAppendBlockBytes = maxAppendBlockBytes is { } limit
            ? Math.Clamp(limit, 1, serviceLimit)
            : serviceLimit;
    }

    /// <summary>The container that holds every blob.</summary>
    public BlobContainerClient Container => _container;

    /// <summary>
    /// A store on container <paramref name="containerName"/> of the storage account that
    /// <paramref name="connectionString"/> names, creating the container when it is missing.
    /// </summary>
    public static async Task<AzureBlobStore> CreateAsync(string connectionString, string containerName,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        var container = new BlobContainerClient(connectionString, containerName);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return new AzureBlobStore(container);
    }

    /// <inheritdoc />
    public async Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(ValidatedName(path));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // One GET: the service answers with the blob as it was when the request arrived.
                // Should the connection break, the library resumes only if the blob is unchanged.
                var response = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                using var download = response.Value;
                var length = download.Details.ContentLength;
                if (length > Array.MaxLength)
                {
                    throw new IOException($"Blob '{path}' is {length} bytes long; a whole-blob read holds at most {Array.MaxLength}.");
                }

                var content = new byte[length];
                await download.Content.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
                return content;
            }
            catch (RequestFailedException e) when (IsBlobNotFound(e))
            {
                return null;
            }
            catch (RequestFailedException e) when (Is(e, BlobErrorCode.ConditionNotMet) && attempt < ReadAttempts)
            {
                // Changed between the library's attempts to finish the download: read it again.
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The library reads the blob in ranges as the stream is consumed and fails the read should
    /// the blob change meanwhile, so a reader never sees a mix of two versions.
    /// </remarks>
    public async Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(ValidatedName(path));
        try
        {
            return await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="cancellationToken"/> is honoured until the copy into place starts; after
    /// that the write runs to its end, since the service would finish the copy anyway.
    /// </remarks>
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        ReplaceAsync(path, (staging, token) => AppendBlocksAsync(staging, path, content, position: 0, token), cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The content goes to the staging blob in blocks of at most 4 MiB as it is written (so at
    /// most one block is buffered), then is copied into place like the bytes form. A block blob
    /// opened for writing (<c>BlockBlobClient.OpenWriteAsync</c>) would not do: it empties the
    /// existing blob as it opens, so a failed write would lose the old content, and the blob
    /// would no longer accept appends. Synchronous writes to the stream are refused.
    /// </remarks>
    public Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        return ReplaceAsync(path, async (staging, token) =>
        {
            var stream = new StagingStream(this, staging, path, Math.Min(_maxAppendBlockBytes, StreamedBlockBytes));
            try
            {
                await writeContent(stream, token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);
            }
            finally
            {
                stream.Dispose();
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Uploads new content to a fresh staging append blob with <paramref name="upload"/>, then
    /// copies it over <paramref name="path"/>; the staging blob is deleted whatever happens.
    /// </summary>
    private async Task ReplaceAsync(string path, Func<AppendBlobClient, CancellationToken, Task> upload,
        CancellationToken cancellationToken)
    {
        var name = ValidatedName(path);
        var destination = _container.GetBlobClient(name);
        var staging = _container.GetAppendBlobClient(StagingPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            await staging.CreateAsync(new AppendBlobCreateOptions(), cancellationToken).ConfigureAwait(false);
            await upload(staging, cancellationToken).ConfigureAwait(false);

            var pathLock = LockFor(name);
            await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var copy = await destination.StartCopyFromUriAsync(staging.Uri, new BlobCopyFromUriOptions(), CancellationToken.None)
                    .ConfigureAwait(false);
                var status = copy.GetRawResponse().Headers.TryGetValue("x-ms-copy-status", out var value) ? value : null;
                if (!string.Equals(status, "success", StringComparison.OrdinalIgnoreCase))
                {
                    // Throws when the copy ends failed or aborted.
                    await copy.WaitForCompletionAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                pathLock.Release();
            }
        }
        finally
        {
            await TryDeleteAsync(staging).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="cancellationToken"/> is honoured only until the first block is sent: an
    /// append cut halfway would leave a torn record for the next reader to discard.
    /// </remarks>
    public async Task AppendAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var name = ValidatedName(path);
        var blob = _container.GetAppendBlobClient(name);
        var pathLock = LockFor(name);
        await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var position = await AppendPositionAsync(blob, path, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await AppendBlocksAsync(blob, path, content, position, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            pathLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var name = ValidatedName(path);
        var blob = _container.GetBlobClient(name);
        var pathLock = LockFor(name);
        await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deleted = await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return deleted.Value;
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            return false;
        }
        finally
        {
            pathLock.Release();
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        BlobPath.ValidatePrefix(prefix, nameof(prefix));
        return ListValidatedAsync(prefix, cancellationToken);
    }

    private async IAsyncEnumerable<string> ListValidatedAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The service lists in UTF-8 byte order, which differs from .NET's ordinal (UTF-16) order
        // once names mix characters above U+FFFF with ones in U+E000–U+FFFF; sorting here keeps
        // the port's promise whatever the names. Listings are of one product's or one shard's
        // blobs, so holding the names is cheap.
        var names = new List<string>();
        var options = new GetBlobsOptions { Prefix = prefix.Length == 0 ? null : prefix };
        await foreach (var item in _container.GetBlobsAsync(options, cancellationToken).ConfigureAwait(false))
        {
            if (!item.Name.StartsWith(StagingPrefix, StringComparison.Ordinal))
            {
                names.Add(item.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return name;
        }
    }

    /// <summary>Length of the append blob, creating it empty when it does not exist.</summary>
    private static async Task<long> AppendPositionAsync(AppendBlobClient blob, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await LengthOfAppendBlobAsync(blob, path, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            // Conditional create: a blob that appeared meanwhile (made by another process, or by
            // this very request on an attempt whose answer was lost) is kept, not emptied.
            try
            {
                await blob.CreateAsync(new AppendBlobCreateOptions { Conditions = new AppendBlobRequestConditions { IfNoneMatch = ETag.All } },
                    cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (RequestFailedException conflict) when (Is(conflict, BlobErrorCode.BlobAlreadyExists))
            {
                return await LengthOfAppendBlobAsync(blob, path, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<long> LengthOfAppendBlobAsync(AppendBlobClient blob, string path, CancellationToken cancellationToken)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        if (properties.BlobType != BlobType.Append)
        {
            throw new IOException($"Blob '{path}' is a {properties.BlobType} blob, not an append blob, so it cannot be appended to; it was not written by this store.");
        }

        return properties.ContentLength;
    }

    /// <summary>
    /// Appends <paramref name="content"/> at <paramref name="position"/>, the blob's current
    /// length, in blocks no larger than the service accepts.
    /// </summary>
    private async Task AppendBlocksAsync(AppendBlobClient blob, string path, ReadOnlyMemory<byte> content, long position,
        CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < content.Length;)
        {
            var block = content.Slice(offset, Math.Min(_maxAppendBlockBytes, content.Length - offset));
            await AppendBlockAsync(blob, path, block, position, cancellationToken).ConfigureAwait(false);
            offset += block.Length;
            position += block.Length;
        }
    }

    private static async Task AppendBlockAsync(AppendBlobClient blob, string path, ReadOnlyMemory<byte> block, long position,
        CancellationToken cancellationToken)
    {
        using var stream = AsStream(block);
        var options = new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = position },
        };
        try
        {
            await blob.AppendBlockAsync(stream, options, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (Is(e, BlobErrorCode.AppendPositionConditionNotMet))
        {
            // The library resends a block whose answer was lost; when the lost attempt had
            // committed, the resend finds the blob longer than expected. With one writer per path,
            // a blob longer by exactly this block means the block landed once.
            // Example: position 100, block of 40, lost answer, resend refused, length 140: done.
            var length = await LengthOfAppendBlobAsync(blob, path, cancellationToken).ConfigureAwait(false);
            if (length != position + block.Length)
            {
                throw new IOException($"Blob '{path}' was {length} bytes long when an append expected {position}; another writer changed it, so the append was refused.", e);
            }
        }
        catch (RequestFailedException e) when (Is(e, BlobErrorCode.BlockCountExceedsLimit))
        {
            throw new IOException($"Blob '{path}' already holds the {blob.AppendBlobMaxBlocks} appended blocks an Azure append blob can take; it accepts more only once rewritten with a replacing write.", e);
        }
    }

    private static async Task TryDeleteAsync(AppendBlobClient staging)
    {
        try
        {
            await staging.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // Best effort: a leftover staging blob is never listed and never read.
        }
    }

    private static bool IsBlobNotFound(RequestFailedException e) =>
        // A missing container is a configuration error, not a missing blob: it stays an exception.
        e.Status == 404 && !Is(e, BlobErrorCode.ContainerNotFound);

    private static bool Is(RequestFailedException e, BlobErrorCode code) =>
        string.Equals(e.ErrorCode, code.ToString(), StringComparison.Ordinal);

    private static string ValidatedName(string path)
    {
        BlobPath.Validate(path, nameof(path));
        return path;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    /// <summary>
    /// The stream a streamed write is given: collects what is written into blocks of
    /// <c>blockBytes</c> and appends each full one to the staging blob; <see cref="FlushAsync"/>
    /// appends the partial last one. Writes as large as a block skip the buffer.
    /// </summary>
    private sealed class StagingStream(AzureBlobStore store, AppendBlobClient staging, string path, int blockBytes) : Stream
    {
        private byte[]? _buffer;
        private int _buffered;
        private long _appended;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _appended + _buffered;
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                if (_buffered == 0 && buffer.Length >= blockBytes)
                {
                    await AppendAsync(buffer[..blockBytes], cancellationToken).ConfigureAwait(false);
                    buffer = buffer[blockBytes..];
                    continue;
                }

                _buffer ??= ArrayPool<byte>.Shared.Rent(blockBytes);
                var count = Math.Min(buffer.Length, blockBytes - _buffered);
                buffer[..count].CopyTo(_buffer.AsMemory(_buffered));
                _buffered += count;
                buffer = buffer[count..];
                if (_buffered == blockBytes)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_buffered > 0)
            {
                await AppendAsync(_buffer.AsMemory(0, _buffered), cancellationToken).ConfigureAwait(false);
                _buffered = 0;
            }
        }

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException($"Blob '{path}' is written with asynchronous writes only: a synchronous one would block on the network.");

        // Sending a block would block on the network: only FlushAsync sends the partial block.
        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
                _buffered = 0;
            }

            base.Dispose(disposing);
        }

        private async Task AppendAsync(ReadOnlyMemory<byte> block, CancellationToken cancellationToken)
        {
            await store.AppendBlocksAsync(staging, path, block, _appended, cancellationToken).ConfigureAwait(false);
            _appended += block.Length;
        }
    }

    private SemaphoreSlim LockFor(string name)
    {
        var key = string.Concat(_container.AccountName, "/", _container.Name, "/", name);
        var hash = StringComparer.Ordinal.GetHashCode(key);
        return PathLocks[(int)((uint)hash % (uint)PathLocks.Length)];
    }

    private static SemaphoreSlim[] CreatePathLocks(int count)
    {
        var locks = new SemaphoreSlim[count];
        for (var i = 0; i < locks.Length; i++)
        {
            locks[i] = new SemaphoreSlim(1, 1);
        }

        return locks;
    }
}
