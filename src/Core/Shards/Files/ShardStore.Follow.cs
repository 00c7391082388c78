namespace OutfitFinder.Core.Shards.Files;

/// <summary>
/// The shard's files moved on under a follower in a way it cannot follow record by record (a compaction deleted
/// a log generation it had not finished reading): it must load the shard again from the snapshot.
/// </summary>
public sealed class ShardFollowLostException(string message) : Exception(message);

/// <summary>New records a follower read from the log, and where it stands now.</summary>
/// <param name="Records">Records appended since the last read, in log order.</param>
/// <param name="Generation">The generation it reads now.</param>
/// <param name="Offset">Bytes of that generation it has read (the end of its last good record).</param>
public sealed record ShardLogTail(IReadOnlyList<ShardLogRecord> Records, long Generation, long Offset);

public sealed partial class ShardStore
{
    private long _followOffset;

    /// <summary>
    /// Opens the shard read-only, for a follower (a read replica) whose writer may be appending meanwhile: like
    /// <see cref="OpenAsync"/>, but writes nothing (a damaged or half-written tail is left alone and read up to its
    /// last good record; covered generations are not deleted) and appends are refused. Later records are read with
    /// <see cref="ReadNewRecordsAsync"/>.
    /// </summary>
    /// <exception cref="ShardFollowLostException">A compaction replaced the snapshot and deleted a log generation
    /// between the reads; opening again succeeds.</exception>
    public async Task<ShardRecovery> OpenForFollowingAsync(Action<SnapshotProduct, ReadOnlySpan<float>> onSnapshotProduct,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onSnapshotProduct);
        _log = null;
        var snapshot = await ReadSnapshotAsync(onSnapshotProduct, cancellationToken).ConfigureAwait(false);
        var replayFrom = snapshot?.ReplayFromGeneration ?? 0;
        var generations = (await ListGenerationsAsync(cancellationToken).ConfigureAwait(false)).Where(g => g >= replayFrom).ToList();
        // The writer appends to generation g before it starts g + 1 (compaction starts inside a write), so the
        // generations after the snapshot run without a gap from replayFrom; a gap means a newer snapshot was
        // written and the generation this one needs was deleted after it was read.
        for (var i = 0; i < generations.Count; i++)
        {
            if (generations[i] != replayFrom + i)
            {
                throw new ShardFollowLostException(
                    $"Shard '{Folder}': log generation {replayFrom + i} is gone; a newer snapshot replaced the one read.");
            }
        }

        var records = new List<ShardLogRecord>();
        CurrentGeneration = replayFrom;
        _followOffset = 0;
        foreach (var generation in generations)
        {
            var bytes = await _store.ReadAsync(LogPath(generation), cancellationToken).ConfigureAwait(false)
                ?? throw new ShardFollowLostException($"Shard '{Folder}': log generation {generation} was deleted while it was read.");
            var read = ShardLogReader.Read(bytes);
            records.AddRange(read.Records);
            CurrentGeneration = generation;
            _followOffset = read.ValidLengthBytes;
        }

        CurrentLogBytes = _followOffset;
        return new ShardRecovery(snapshot, records, generations.Count);
    }

    /// <summary>
    /// Reads the records the writer appended since the last read (or the open), moving on to the next generation
    /// once the writer has: reads only whole, good records, so a record being appended now is read next time.
    /// </summary>
    /// <exception cref="ShardFollowLostException">The generation being read was deleted before it was read to its
    /// end (a compaction's snapshot, written in the background, deleted it before this follower read its last
    /// records); the follower must open the shard again, from that snapshot.</exception>
    public async Task<ShardLogTail> ReadNewRecordsAsync(CancellationToken cancellationToken)
    {
        var records = new List<ShardLogRecord>();
        while (true)
        {
            // Asked first: once generation g + 1 exists, the writer appends nothing more to g, so reading g to its
            // end after this check reads all of it.
            var moved = await ExistsAsync(LogPath(CurrentGeneration + 1), cancellationToken).ConfigureAwait(false);
            var source = await _store.OpenReadAsync(LogPath(CurrentGeneration), cancellationToken).ConfigureAwait(false);
            if (source is null)
            {
                // Missing: either nothing has been written to it yet, or a snapshot covered it and it was deleted. Two
                // compactions between two reads delete this generation and the next, so the next one's absence
                // proves nothing: the snapshot's generation says which.
                if (moved || _followOffset > 0 || await SnapshotCoversAsync(CurrentGeneration, cancellationToken).ConfigureAwait(false))
                {
                    throw new ShardFollowLostException(
                        $"Shard '{Folder}': log generation {CurrentGeneration} was deleted before it was read to its end.");
                }

                // Nothing written to this generation yet.
                break;
            }

            byte[] tail;
            await using (source.ConfigureAwait(false))
            {
                tail = await ReadFromAsync(source, _followOffset, cancellationToken).ConfigureAwait(false);
            }

            var read = ShardLogReader.Read(tail);
            records.AddRange(read.Records);
            _followOffset += read.ValidLengthBytes;
            if (!moved)
            {
                break;
            }

            CurrentGeneration++;
            _followOffset = 0;
        }

        CurrentLogBytes = _followOffset;
        return new ShardLogTail(records, CurrentGeneration, _followOffset);
    }

    /// <summary>Whether the snapshot holds every record of <paramref name="generation"/> (its replay generation is later).</summary>
    private async Task<bool> SnapshotCoversAsync(long generation, CancellationToken cancellationToken)
    {
        var source = await _store.OpenReadAsync(SnapshotPath, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return false;
        }

        await using (source.ConfigureAwait(false))
        {
            return (await ShardSnapshotCodec.ReadHeaderAsync(source, cancellationToken).ConfigureAwait(false)).ReplayFromGeneration > generation;
        }
    }

    private async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken)
    {
        var stream = await _store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return false;
        }

        await stream.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    private static async Task<byte[]> ReadFromAsync(Stream source, long offset, CancellationToken cancellationToken)
    {
        if (source.CanSeek)
        {
            if (offset >= source.Length)
            {
                return [];
            }

            source.Seek(offset, SeekOrigin.Begin);
        }
        else
        {
            var skip = new byte[81920];
            for (var left = offset; left > 0;)
            {
                var got = await source.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, left)), cancellationToken).ConfigureAwait(false);
                if (got == 0)
                {
                    return [];
                }

                left -= got;
            }
        }

        using var rest = new MemoryStream();
        await source.CopyToAsync(rest, cancellationToken).ConfigureAwait(false);
        return rest.ToArray();
    }
}
