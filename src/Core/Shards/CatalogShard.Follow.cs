using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Shards;

/// <summary>What one <see cref="CatalogShard.CatchUpAsync"/> applied, and where the follower stands in the log.</summary>
public sealed record ShardCatchUp(int Records, long Generation, long Offset);

public sealed partial class CatalogShard
{
    private readonly bool _following;

    /// <summary>Stopwatch timestamp at which the last read that reached the end of the log began.</summary>
    private long _caughtUpAt = Stopwatch.GetTimestamp();

    /// <summary>True for a read replica opened with <see cref="OpenFollowerAsync"/>: it refuses writes and follows the log.</summary>
    public bool IsFollower => _following;

    /// <summary>
    /// How far behind the log this follower may be: the time since its last read of the log to its end began.
    /// Every write acknowledged more than this long ago is in its answers. Zero for a writer.
    /// </summary>
    public TimeSpan Lag => _following ? Stopwatch.GetElapsedTime(Volatile.Read(ref _caughtUpAt)) : TimeSpan.Zero;

    /// <summary>
    /// Opens a read replica of the shard in <paramref name="definition"/>'s folder while its writer may be writing:
    /// loads the snapshot and saved graph and the log written since, writing nothing to the store. It then refuses
    /// writes and takes new records from the log with <see cref="CatchUpAsync"/>. Its indexes and graph builds are
    /// its own, as the writer's; it never compacts.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot holds vectors of another dimension or metric.</exception>
    public static async Task<CatalogShard> OpenFollowerAsync(IBlobStore store, ShardDefinition definition, ShardIndexOptions indexOptions,
        GraphBuildSlots? graphBuildSlots, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(definition);
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var shard = new CatalogShard(store, definition, indexOptions, new ShardCompactionOptions(),
                graphBuildSlots ?? new GraphBuildSlots(Microsoft.Extensions.Options.Options.Create(indexOptions)), logger, following: true);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await shard.LoadAsync(cancellationToken);
                Volatile.Write(ref shard._caughtUpAt, started);
                shard.TrackOpen();
                return shard;
            }
            catch (ShardFollowLostException) when (attempt < attempts)
            {
                // A compaction ran between reading the snapshot and its logs: the next attempt reads the new snapshot.
                await shard.DisposeAsync();
            }
            catch
            {
                await shard.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// Reads the records the writer made durable since the last catch-up and applies them; afterwards every write
    /// acknowledged before this call began is in the follower's answers. One call at a time (a grain timer's turns).
    /// The log is read before the write gate is taken, so searches wait only for the records to be applied.
    /// </summary>
    /// <exception cref="ShardFollowLostException">The writer compacted away records not yet read; open a new follower.</exception>
    public async Task<ShardCatchUp> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        if (!_following)
        {
            throw new InvalidOperationException($"Shard {_definition.Catalog}/{_definition.Shard} is a writer; only a read replica catches up.");
        }

        var started = Stopwatch.GetTimestamp();
        var tail = await _shardStore.ReadNewRecordsAsync(cancellationToken);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            foreach (var record in tail.Records)
            {
                Apply(record);
            }

            if (tail.Records.Count > 0)
            {
                StartGraphBuildIfDue();
            }

            Volatile.Write(ref _caughtUpAt, started);
        }
        finally
        {
            _writeGate.Release();
        }

        return new ShardCatchUp(tail.Records.Count, tail.Generation, tail.Offset);
    }

    private void ThrowIfFollower()
    {
        if (_following)
        {
            throw new InvalidOperationException(
                $"Shard {_definition.Catalog}/{_definition.Shard} is a read replica; writes go to the shard's writer.");
        }
    }
}
