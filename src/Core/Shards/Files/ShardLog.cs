using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>What <see cref="ShardLog.LoadAsync"/> replayed.</summary>
/// <param name="Records">Every good record, in the order they were appended.</param>
/// <param name="LengthBytes">Length of the log after loading (after any cut), in bytes.</param>
/// <param name="DiscardedBytes">Bytes cut from a damaged tail; 0 when the log was whole.</param>
/// <param name="DiscardedTailPath">Blob that keeps the cut bytes for inspection; null when nothing was cut.</param>
public sealed record ShardLogReplay(
    IReadOnlyList<ShardLogRecord> Records,
    long LengthBytes,
    long DiscardedBytes,
    string? DiscardedTailPath);

/// <summary>
/// A catalog shard's append-only log in one blob: every change is appended and durable before
/// the shard acknowledges it, and replayed over the last snapshot when the shard starts.
/// </summary>
/// <remarks>
/// One owner per log: the shard grain that holds it. Calls on one instance are serialised, so
/// records land in call order. <see cref="LoadAsync"/> must succeed before the first append and
/// again after any failed append: a failed append may have left a torn record, and a record
/// appended behind it would be unreachable on the next replay, losing an acknowledged write.
/// </remarks>
public sealed partial class ShardLog
{
    private readonly IBlobStore _store;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _readyForAppends;

    /// <summary>The log kept in blob <paramref name="path"/> of <paramref name="store"/>.</summary>
    public ShardLog(IBlobStore store, string path, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        BlobPath.Validate(path, nameof(path));
        _store = store;
        _logger = logger;
        Path = path;
    }

    /// <summary>Blob path of the log.</summary>
    public string Path { get; }

    /// <summary>
    /// Reads every good record. When the tail is damaged (an append cut short by a crash, or
    /// corrupted bytes), the bytes after the last good record are first copied to a sibling blob
    /// (<see cref="ShardLogReplay.DiscardedTailPath"/>) and then cut from the log by an atomic
    /// rewrite, so that later appends follow the good records directly.
    /// </summary>
    public async Task<ShardLogReplay> LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _readyForAppends = false;
            var bytes = await _store.ReadAsync(Path, cancellationToken).ConfigureAwait(false) ?? [];
            var read = ShardLogReader.Read(bytes);
            string? tailPath = null;
            if (read.HasDamagedTail)
            {
                var validLength = checked((int)read.ValidLengthBytes);
                // Kept before the cut: a bad frame in the middle of the log drops every record
                // after it, and those may be acknowledged writes worth recovering by hand.
                tailPath = $"{Path}.damaged-at-{validLength}";
                await _store.WriteAsync(tailPath, bytes.AsMemory(validLength), cancellationToken).ConfigureAwait(false);
                await _store.WriteAsync(Path, bytes.AsMemory(0, validLength), cancellationToken).ConfigureAwait(false);
                Log.DamagedTailCut(_logger, Path, read.Damage, read.ValidLengthBytes, read.TotalLengthBytes,
                    read.TotalLengthBytes - read.ValidLengthBytes, read.Records.Count, tailPath);
            }

            _readyForAppends = true;
            return new ShardLogReplay(read.Records, read.ValidLengthBytes,
                read.TotalLengthBytes - read.ValidLengthBytes, tailPath);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends <paramref name="record"/>; returns once it is durable.</summary>
    /// <exception cref="InvalidOperationException"><see cref="LoadAsync"/> has not succeeded since the log was opened or an append failed.</exception>
    public Task AppendAsync(ShardLogRecord record, CancellationToken cancellationToken) =>
        AppendFramesAsync(ShardLogCodec.Encode(record), cancellationToken);

    /// <summary>
    /// Appends <paramref name="records"/> in order with one store append; returns once they are
    /// durable. After a crash, replay sees a prefix of the batch (possibly empty, possibly all).
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="LoadAsync"/> has not succeeded since the log was opened or an append failed.</exception>
    public Task AppendBatchAsync(IReadOnlyList<ShardLogRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Count == 0 ? Task.CompletedTask : AppendFramesAsync(ShardLogCodec.Encode(records), cancellationToken);
    }

    private async Task AppendFramesAsync(byte[] frames, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_readyForAppends)
            {
                throw new InvalidOperationException($"Shard log '{Path}' must be loaded (again, after a failed append) before appending, so that a torn record cannot hide the new one.");
            }

            _readyForAppends = false;
            await _store.AppendAsync(Path, frames, cancellationToken).ConfigureAwait(false);
            _readyForAppends = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}
