using System.Globalization;
using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>What <see cref="ShardStore.OpenAsync"/> recovered, besides the snapshot products it streamed to its caller.</summary>
/// <param name="SnapshotHeader">The last snapshot's header; null when the shard has never been compacted.</param>
/// <param name="Records">Log records after the snapshot, oldest generation first, to apply over it in order.</param>
/// <param name="Generations">How many log generations were replayed.</param>
public sealed record ShardRecovery(ShardSnapshotHeader? SnapshotHeader, IReadOnlyList<ShardLogRecord> Records, int Generations);

/// <summary>
/// A catalog shard's durable state in one folder of a blob store: at most one snapshot and the
/// log generations written since. Appends go to the newest generation; compaction starts a new
/// generation, writes a snapshot of everything before it, then deletes the generations it covers.
/// </summary>
/// <remarks>
/// <para>Blobs in the folder: <c>snapshot</c>; <c>log</c> (generation 0, the name shards used
/// before snapshots existed); <c>log-000000000001</c>, <c>log-000000000002</c>, … A snapshot's
/// <see cref="ShardSnapshotHeader.ReplayFromGeneration"/> <c>s</c> says it holds every record of the
/// generations below <c>s</c>; opening loads it and replays every generation from <c>s</c> on.</para>
/// <para>An optional <c>graph</c> blob holds a search graph saved with a snapshot and bound to it
/// by the snapshot's generation and checksum (see <see cref="ShardGraphCodec"/>). It is written
/// after its snapshot, so a crash between the two leaves a graph bound to the older snapshot,
/// which <see cref="ReadGraphAsync(Stream, CancellationToken)"/> refuses; the owner then rebuilds the graph from its vectors.</para>
/// <para>Why no acknowledged write is lost, whatever step a crash interrupts. Worked sequence for a
/// compaction of a shard whose snapshot covers up to generation 3 and whose writes go to
/// generation 4:</para>
/// <code>
/// step                                         on storage afterwards          a restart replays
/// 0  writes w1..w9 acknowledged in log-4       snapshot(s=4) log-4            snapshot + log-4
/// 1  StartNewGeneration: appends go to log-5;  snapshot(s=4) log-4            snapshot + log-4 + log-5
///    state copied (w1..w9) under the turn;     (log-5 appears with w10)
///    w10 is acknowledged in log-5
/// 2  snapshot(s=5) written (atomic replace)    snapshot(s=5) log-4 log-5      snapshot + log-5
///    — a crash mid-write leaves the old
///    snapshot(s=4) whole, the row above holds
/// 3  log-4 deleted                             snapshot(s=5) log-5            snapshot + log-5
/// </code>
/// <para>Each row replays a superset of every acknowledged write, in order: the new snapshot never
/// replaces the old one until it is durable, and no log is deleted until a durable snapshot covers
/// it. A snapshot that fails its checksum is refused (<see cref="InvalidDataException"/>), never
/// guessed around, because the logs it covered may be gone. Left-over generations below <c>s</c>
/// (a crash between steps 2 and 3) are deleted by the next open.</para>
/// <para>One owner: the shard grain activation. <see cref="AppendAsync"/> and
/// <see cref="StartNewGenerationAsync"/> run in its turns; WriteSnapshotAsync may run off-turn, at
/// most one at a time, and touches no state the turns change (it enumerates its products and fetches
/// their vectors off-turn, so they must be a view that the turns leave alone meanwhile).</para>
/// <para>Neither the snapshot nor the graph blob is ever held whole: both are written and read as
/// streams, so a shard's size is bounded by its owner's memory for vectors, not by one array.</para>
/// </remarks>
public sealed partial class ShardStore
{
    private const string SnapshotName = "snapshot";
    private const string GraphName = "graph";
    private const string GenerationZeroName = "log";
    private const string GenerationPrefix = "log-";
    private const int GenerationDigits = 12;

    // The largest Azure append block: a bigger append is several appends there.
    private const long AppendBlockBytes = 4L * 1024 * 1024;

    private readonly IBlobStore _store;
    private readonly ILogger _logger;
    private ShardLog? _log;
    private (long ReplayFromGeneration, ulong Hash)? _openedSnapshot;

    /// <summary>The shard kept under <paramref name="folder"/> (no trailing '/') of <paramref name="store"/>.</summary>
    public ShardStore(IBlobStore store, string folder, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        BlobPath.Validate(folder, nameof(folder));
        _store = store;
        _logger = logger;
        Folder = folder;
    }

    /// <summary>Folder of the shard's blobs.</summary>
    public string Folder { get; }

    /// <summary>Path of the snapshot blob.</summary>
    public string SnapshotPath => $"{Folder}/{SnapshotName}";

    /// <summary>Path of the graph blob saved with the snapshot.</summary>
    public string GraphPath => $"{Folder}/{GraphName}";

    /// <summary>Generation that appends go to.</summary>
    public long CurrentGeneration { get; private set; }

    /// <summary>Bytes in the current generation's log.</summary>
    public long CurrentLogBytes { get; private set; }

    /// <summary>Records in the current generation's log.</summary>
    public long CurrentLogRecords { get; private set; }

    /// <summary>
    /// Appends made to the current generation's blob, counting one per started 4 MiB (the largest
    /// Azure append block); after a restart, the number of records, which can only be more. Azure
    /// append blobs take at most 50,000 appends, so compaction must start a new generation first.
    /// </summary>
    public long CurrentLogAppends { get; private set; }

    /// <summary>Path of log generation <paramref name="generation"/>.</summary>
    public string LogPath(long generation) => generation == 0
        ? $"{Folder}/{GenerationZeroName}"
        : $"{Folder}/{GenerationPrefix}{generation.ToString($"D{GenerationDigits}", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Loads the snapshot (if any) and every log generation after it, cutting a damaged tail from
    /// each (see <see cref="ShardLog.LoadAsync"/>), and deletes generations the snapshot covers.
    /// Must succeed before the first append. The snapshot is streamed:
    /// <paramref name="onSnapshotProduct"/> is called once per snapshot product, in order, with
    /// that product's vectors in a reused buffer valid only during the call (see
    /// <see cref="ShardSnapshotCodec.ReadAsync"/>), and the recovery carries the snapshot's
    /// <see cref="ShardRecovery.SnapshotHeader"/>. The snapshot blob is never held whole.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The snapshot is damaged or of an unknown version. The checksum is checked only after the
    /// last product was handed over, so the caller must then discard every product it received.
    /// </exception>
    public async Task<ShardRecovery> OpenAsync(Action<SnapshotProduct, ReadOnlySpan<float>> onSnapshotProduct,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onSnapshotProduct);
        _log = null;
        var snapshot = await ReadSnapshotAsync(onSnapshotProduct, cancellationToken).ConfigureAwait(false);
        var replayFrom = snapshot?.ReplayFromGeneration ?? 0;
        var generations = await ListGenerationsAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<ShardLogRecord>();
        var replayed = 0;
        ShardLog? last = null;
        ShardLogReplay? lastReplay = null;
        foreach (var generation in generations.Where(g => g >= replayFrom))
        {
            last = new ShardLog(_store, LogPath(generation), _logger);
            lastReplay = await last.LoadAsync(cancellationToken).ConfigureAwait(false);
            records.AddRange(lastReplay.Records);
            CurrentGeneration = generation;
            replayed++;
        }

        if (last is null)
        {
            last = new ShardLog(_store, LogPath(replayFrom), _logger);
            lastReplay = await last.LoadAsync(cancellationToken).ConfigureAwait(false);
            CurrentGeneration = replayFrom;
        }

        _log = last;
        CurrentLogBytes = lastReplay!.LengthBytes;
        CurrentLogRecords = lastReplay.Records.Count;
        CurrentLogAppends = lastReplay.Records.Count;
        await DeleteGenerationsBelowAsync(generations, replayFrom, cancellationToken).ConfigureAwait(false);
        return new ShardRecovery(snapshot, records, replayed);
    }

    private async Task<ShardSnapshotHeader?> ReadSnapshotAsync(Action<SnapshotProduct, ReadOnlySpan<float>> onSnapshotProduct,
        CancellationToken cancellationToken)
    {
        _openedSnapshot = null;
        var source = await _store.OpenReadAsync(SnapshotPath, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return null;
        }

        await using (source.ConfigureAwait(false))
        {
            try
            {
                var (header, hash) = await ShardSnapshotCodec.ReadAsync(source, onSnapshotProduct, cancellationToken)
                    .ConfigureAwait(false);
                _openedSnapshot = (header.ReplayFromGeneration, hash);
                return header;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Shard snapshot '{SnapshotPath}' cannot be loaded: {e.Message}", e);
            }
        }
    }

    /// <summary>Appends <paramref name="records"/> to the current generation; returns once they are durable.</summary>
    public async Task AppendAsync(IReadOnlyList<ShardLogRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var log = _log ?? throw new InvalidOperationException($"Shard store '{Folder}' must be opened before appending.");
        await log.AppendBatchAsync(records, cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        foreach (var record in records)
        {
            bytes += ShardLogCodec.GetFrameLength(record);
        }

        CurrentLogBytes += bytes;
        CurrentLogAppends += 1 + (bytes - 1) / AppendBlockBytes;

        CurrentLogRecords += records.Count;
    }

    /// <summary>
    /// Sends later appends to a new, empty generation and returns its number: the
    /// <see cref="ShardSnapshotHeader.ReplayFromGeneration"/> of a snapshot of the state as it is now.
    /// </summary>
    public async Task<long> StartNewGenerationAsync(CancellationToken cancellationToken)
    {
        if (_log is null)
        {
            throw new InvalidOperationException($"Shard store '{Folder}' must be opened before compacting.");
        }

        var next = CurrentGeneration + 1;
        var log = new ShardLog(_store, LogPath(next), _logger);
        // Reads nothing in the normal case; a blob found there (only if something else wrote it)
        // is replayed by the next open anyway, and its damaged tail is cut before appends follow it.
        await log.LoadAsync(cancellationToken).ConfigureAwait(false);
        _log = log;
        CurrentGeneration = next;
        CurrentLogBytes = 0;
        CurrentLogRecords = 0;
        CurrentLogAppends = 0;
        return next;
    }

    /// <summary>
    /// Streams the snapshot that <paramref name="header"/> and <paramref name="rows"/> describe
    /// (see <see cref="ShardSnapshotCodec.WriteAsync(Stream, ShardSnapshotHeader, IEnumerable{SnapshotRow}, CancellationToken)"/>: the rows are enumerated twice) into place
    /// atomically, then the graph blob from the rest of <paramref name="graphPayload"/> (the saved
    /// form of a search graph over exactly these products, a seekable stream) bound to it, or
    /// deletes the graph blob when there is none, then deletes the log generations the snapshot
    /// covers. Neither blob is held whole. Returns the bytes written. Safe to run off the owner's
    /// turn.
    /// </summary>
    /// <exception cref="ArgumentException">The rows do not match the header; the old snapshot stays in place.</exception>
    /// <exception cref="InvalidOperationException">The rows changed between their two enumerations; the old snapshot stays in place.</exception>
    public Task<long> WriteSnapshotAsync(ShardSnapshotHeader header, IEnumerable<SnapshotRow> rows, Stream? graphPayload,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return WriteSnapshotAsync(header, (stream, token) => ShardSnapshotCodec.WriteAsync(stream, header, rows, token), graphPayload,
            cancellationToken);
    }

    /// <summary>
    /// As <see cref="WriteSnapshotAsync(ShardSnapshotHeader, IEnumerable{SnapshotRow}, Stream, CancellationToken)"/>,
    /// with the products listed and each one's vectors fetched only when written (see
    /// <see cref="ShardSnapshotCodec.WriteAsync(Stream, ShardSnapshotHeader, IReadOnlyList{SnapshotProduct}, Func{SnapshotProduct, ReadOnlyMemory{float}}, CancellationToken)"/>).
    /// </summary>
    public Task<long> WriteSnapshotAsync(ShardSnapshotHeader header, IReadOnlyList<SnapshotProduct> products,
        Func<SnapshotProduct, ReadOnlyMemory<float>> vectorsOf, Stream? graphPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(products);
        ArgumentNullException.ThrowIfNull(vectorsOf);
        return WriteSnapshotAsync(header, (stream, token) => ShardSnapshotCodec.WriteAsync(stream, header, products, vectorsOf, token),
            graphPayload, cancellationToken);
    }

    private async Task<long> WriteSnapshotAsync(ShardSnapshotHeader header,
        Func<Stream, CancellationToken, Task<(ulong Hash, long Length)>> writeSnapshot, Stream? graphPayload, CancellationToken cancellationToken)
    {
        (ulong Hash, long Length) snapshot = default;
        await _store.WriteAsync(SnapshotPath, async (stream, token) =>
            snapshot = await writeSnapshot(stream, token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        long graphBytes = 0;
        if (graphPayload is null)
        {
            await _store.DeleteAsync(GraphPath, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _store.WriteAsync(GraphPath, async (stream, token) =>
                graphBytes = await ShardGraphCodec.WriteAsync(stream, header.ReplayFromGeneration, snapshot.Hash, graphPayload, token)
                    .ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }

        var generations = await ListGenerationsAsync(cancellationToken).ConfigureAwait(false);
        await DeleteGenerationsBelowAsync(generations, header.ReplayFromGeneration, cancellationToken).ConfigureAwait(false);
        return snapshot.Length + graphBytes;
    }

    /// <summary>
    /// Copies the payload of the saved graph bound to the snapshot that <see cref="OpenAsync"/> loaded into
    /// <paramref name="destination"/> (a scratch file keeps a large graph off the heap), checking the blob's
    /// checksum on the way: Found is true only when every byte checked out, so the caller parses nothing
    /// unverified. Otherwise Refused says why (damaged, cut short, or bound to another snapshot, which is
    /// seen from the header before any payload is copied) and <paramref name="destination"/> must be
    /// discarded; both are empty when there is no graph blob. Call after <see cref="OpenAsync"/>, before any
    /// compaction.
    /// </summary>
    public async Task<(bool Found, string? Refused)> ReadGraphAsync(Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var source = await _store.OpenReadAsync(GraphPath, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return (false, null);
        }

        await using (source.ConfigureAwait(false))
        {
            var header = new byte[ShardGraphCodec.HeaderLength];
            var read = await source.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            ShardGraphHeader bound;
            try
            {
                bound = read == header.Length
                    ? ShardGraphCodec.ReadHeader(header)
                    : throw new InvalidDataException($"Not a shard graph: {read} bytes, shorter than its header.");
            }
            catch (InvalidDataException e)
            {
                return (false, e.Message);
            }

            if (_openedSnapshot is not { } opened)
            {
                return (false, "there is no snapshot for it to belong to");
            }

            if (bound.ReplayFromGeneration != opened.ReplayFromGeneration || bound.SnapshotHash != opened.Hash)
            {
                return (false, $"it belongs to the snapshot of generation {bound.ReplayFromGeneration} (hash {bound.SnapshotHash:x16}), not to the loaded one of generation {opened.ReplayFromGeneration} (hash {opened.Hash:x16})");
            }

            var hash = new System.IO.Hashing.XxHash64();
            hash.Append(header);
            using (var payload = new ObservedReadStream(source, bound.PayloadLength, hash.Append))
            {
                await payload.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                if (payload.Remaining != 0)
                {
                    return (false, $"Shard graph is cut short: {payload.Position} of its {bound.PayloadLength} payload bytes are there.");
                }
            }

            var trailer = new byte[ShardGraphCodec.TrailerLength + 1];
            var got = await source.ReadAtLeastAsync(trailer, trailer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got != ShardGraphCodec.TrailerLength)
            {
                return (false, got < ShardGraphCodec.TrailerLength
                    ? "Shard graph is cut short: its checksum is missing."
                    : "Shard graph is damaged: bytes follow its checksum.");
            }

            var stored = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(trailer);
            var computed = hash.GetCurrentHashAsUInt64();
            return stored == computed
                ? (true, null)
                : (false, $"Shard graph is damaged: its XxHash64 is {computed:x16} but {stored:x16} was stored.");
        }
    }

    private async Task<List<long>> ListGenerationsAsync(CancellationToken cancellationToken)
    {
        var generations = new List<long>();
        var prefix = $"{Folder}/";
        await foreach (var path in _store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            var name = path[prefix.Length..];
            if (name == GenerationZeroName)
            {
                generations.Add(0);
            }
            else if (name.Length == GenerationPrefix.Length + GenerationDigits
                && name.StartsWith(GenerationPrefix, StringComparison.Ordinal)
                && long.TryParse(name.AsSpan(GenerationPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
                && generation > 0)
            {
                generations.Add(generation);
            }
        }

        generations.Sort();
        return generations;
    }

    private async Task DeleteGenerationsBelowAsync(List<long> generations, long replayFrom, CancellationToken cancellationToken)
    {
        foreach (var generation in generations.Where(g => g < replayFrom))
        {
            await _store.DeleteAsync(LogPath(generation), cancellationToken).ConfigureAwait(false);
            Log.CoveredGenerationDeleted(_logger, LogPath(generation), replayFrom);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3111, Level = LogLevel.Debug,
            Message = "Deleted shard log {LogPath}: the snapshot covers every generation below {ReplayFromGeneration}")]
        public static partial void CoveredGenerationDeleted(ILogger logger, string logPath, long replayFromGeneration);
    }
}
