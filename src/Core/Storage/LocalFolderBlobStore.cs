using System.Runtime.CompilerServices;
using System.Text;

namespace OutfitFinder.Core.Storage;

/// <summary>
/// <see cref="IBlobStore"/> on a local folder: the embedded default, needing nothing installed.
/// A blob path maps to a file under <see cref="RootFolder"/> ('/' becomes the platform separator).
/// </summary>
/// <remarks>
/// Writes go to a temporary file in the blob's own folder (same file system, so the rename is
/// atomic), are flushed to disk, then renamed over the blob. Appends, replacing writes and
/// deletes of one path are serialised inside the process: an append never interleaves with
/// another, and never lands in a file that a concurrent write has just replaced. Coordination
/// across processes is not attempted; one silo owns a folder's shards at a time.
/// </remarks>
public sealed class LocalFolderBlobStore : IBlobStore
{
    /// <summary>Suffix of in-progress write files; never listed, and refused in blob paths.</summary>
    public const string TemporarySuffix = BlobPath.TemporarySuffix;

    // Most file systems cap a file name at 255 bytes.
    private const int MaxSegmentUtf8Bytes = 255;

    // Path locks are striped by hash instead of kept per path, so memory stays bounded however
    // many blobs are touched; two paths sharing a stripe only wait for each other. Static so that
    // two store instances on the same folder in one process still serialise.
    private static readonly SemaphoreSlim[] PathLocks = CreatePathLocks(64);

    /// <summary>Uses (and creates when missing) <paramref name="rootFolder"/>.</summary>
    public LocalFolderBlobStore(string rootFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootFolder);
        RootFolder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootFolder));
        Directory.CreateDirectory(RootFolder);
    }

    /// <summary>Absolute path of the folder that holds every blob.</summary>
    public string RootFolder { get; }

    /// <inheritdoc />
    public async Task<byte[]?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var file = ToFilePath(path);
        try
        {
            // Shared with writers and deleters so that a read never blocks an append or a
            // replacing rename (Windows enforces share modes); it sees the length it opened.
            await using var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
            var content = new byte[stream.Length];
            await stream.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
            return content;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(file))
        {
            // "a" is a folder because blobs "a/..." exist; there is no blob "a".
            return null;
        }
    }

    /// <inheritdoc />
    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var file = ToFilePath(path);
        try
        {
            Stream stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(file))
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc />
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteFileAsync(path, (stream, token) => stream.WriteAsync(content, token).AsTask(), content.Length, cancellationToken);

    /// <inheritdoc />
    public Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        return WriteFileAsync(path, writeContent, preallocationSize: 0, cancellationToken);
    }

    private async Task WriteFileAsync(string path, Func<Stream, CancellationToken, Task> writeContent, long preallocationSize,
        CancellationToken cancellationToken)
    {
        var file = ToFilePath(path);
        var folder = Path.GetDirectoryName(file)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, Guid.NewGuid().ToString("N") + TemporarySuffix);
        try
        {
            await using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                PreallocationSize = preallocationSize,
            }))
            {
                await writeContent(stream, cancellationToken).ConfigureAwait(false);
                // Durable before it is renamed into place: a crash must not leave a named but empty blob.
                stream.Flush(flushToDisk: true);
            }

            var pathLock = LockFor(file);
            await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                File.Move(temporary, file, overwrite: true);
            }
            finally
            {
                pathLock.Release();
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="cancellationToken"/> is honoured only until the write starts: a write cut
    /// halfway would leave a torn record for the next reader to discard.
    /// </remarks>
    public async Task AppendAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var file = ToFilePath(path);
        var pathLock = LockFor(file);
        await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await using var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous,
            });
            await stream.WriteAsync(content, CancellationToken.None).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            pathLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var file = ToFilePath(path);
        var pathLock = LockFor(file);
        await pathLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Empty folders are left in place: removing one could race a writer that has just
            // created it and is about to put its temporary file there.
            if (!File.Exists(file))
            {
                return false;
            }

            File.Delete(file);
            return true;
        }
        catch (DirectoryNotFoundException)
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
        // Walking folders blocks on the file system; keep it off the caller's thread.
        var paths = await Task.Run(() => CollectPaths(prefix, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return path;
        }
    }

    private List<string> CollectPaths(string prefix, CancellationToken cancellationToken)
    {
        // Only the folder named by the prefix's complete segments needs walking:
        // "catalogs/shoes/ima" walks catalogs/shoes and keeps what starts with the prefix.
        var lastSlash = prefix.LastIndexOf('/');
        var folder = lastSlash < 0
            ? RootFolder
            : Path.Combine(RootFolder, prefix[..lastSlash].Replace('/', Path.DirectorySeparatorChar));
        var paths = new List<string>();
        if (!Directory.Exists(folder))
        {
            return paths;
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            // The default skips hidden files, which on Unix means every name starting with '.'.
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
        };
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", options))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (file.EndsWith(TemporarySuffix, StringComparison.Ordinal))
                {
                    continue;
                }

                var relative = Path.GetRelativePath(RootFolder, file).Replace(Path.DirectorySeparatorChar, '/');
                if (relative.StartsWith(prefix, StringComparison.Ordinal))
                {
                    paths.Add(relative);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The folder was deleted while being walked: it holds nothing now.
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private string ToFilePath(string path)
    {
        BlobPath.Validate(path, nameof(path));
        foreach (var segment in path.Split('/'))
        {
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentUtf8Bytes)
            {
                throw new ArgumentException($"Blob path '{path}' has a segment longer than {MaxSegmentUtf8Bytes} UTF-8 bytes, which the local file system cannot hold.", nameof(path));
            }
        }

        var file = Path.GetFullPath(Path.Combine(RootFolder, path.Replace('/', Path.DirectorySeparatorChar)));
        // Defence in depth: the rules above already keep every path inside the root.
        if (!file.StartsWith(RootFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Blob path '{path}' resolves outside the store's folder.", nameof(path));
        }

        return file;
    }

    private static SemaphoreSlim LockFor(string file) =>
        PathLocks[(uint)StringComparer.Ordinal.GetHashCode(file) % (uint)PathLocks.Length];

    private static SemaphoreSlim[] CreatePathLocks(int count)
    {
        var locks = new SemaphoreSlim[count];
        for (var i = 0; i < count; i++)
        {
            locks[i] = new SemaphoreSlim(1, 1);
        }

        return locks;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // A leftover temporary file is invisible to List and harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
