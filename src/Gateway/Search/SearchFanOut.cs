using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orleans.Networking.Shared;
using Orleans.Runtime.Messaging;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Telemetry;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>The merged answer of every shard that replied in time.</summary>
/// <param name="Hits">The global top-k.</param>
/// <param name="Partial">Some shard had no copy that answered.</param>
/// <param name="ShardsFailed">How many shards had no copy that answered.</param>
/// <param name="Stale">Some shard answered through a read replica, which may miss writes acknowledged in the last <paramref name="LagMs"/>.</param>
/// <param name="LagMs">The largest lag of the read replicas that answered; 0 when every shard's writer answered.</param>
public sealed record FanOutResult(IReadOnlyList<ShardHit> Hits, bool Partial, int ShardsFailed, bool Stale = false, double LagMs = 0);

/// <summary>
/// Asks every shard of a catalog for its own top-k in parallel, under one deadline, and merges the
/// partial lists into the global top-k. Each shard returns at most k products and a product lives
/// in exactly one shard, so the merge needs no dedupe across shards and the union of the shard
/// top-k lists always contains the global top-k.
/// </summary>
/// <remarks>
/// A shard of a catalog with replicas has several copies (its writer, copy 0, and its read replicas); each search
/// asks one of them, in turns, and asks the next when the first fails or has not answered within the hedge delay
/// (<see cref="HedgePolicy"/>). The first answer wins and the others are cancelled; a shard is missing only when no
/// copy answered before the deadline.
/// <para>Two things happen in the moment after a silo dies, before the client has routed around it: a call to a copy
/// there, or through it as the client's gateway, fails at once (connection refused), and a call that was in flight
/// through the dead connection may never be answered, although the same call sent again takes another route. So a
/// hedge may ask each copy a second time, in the same turns; and once every copy has been asked and one failed with
/// a transport error, every copy is asked again, up to <see cref="TransientRetryRounds"/> rounds whose waits double
/// from <see cref="TransientRetryBackoff"/>, while the deadline allows. An error a grain threw itself is not
/// retried.</para>
/// </remarks>
public sealed partial class SearchFanOut(IGrainFactory grains, IOptions<GatewayOptions> options, IOptions<HedgingOptions> hedging,
    ILogger<SearchFanOut> logger)
{
    /// <summary>More rounds over a shard's copies after every copy was asked and one could not be reached.</summary>
    internal const int TransientRetryRounds = 4;

    /// <summary>
    /// The wait before the first retry round; it doubles each round (250, 500, 1,000, 2,000 ms: the rounds start 0.25,
    /// 0.75, 1.75 and 3.75 s after the first failure), because a client's route around a dead silo takes a second or
    /// two to change, and the default deadline is 5 s.
    /// </summary>
    internal static readonly TimeSpan TransientRetryBackoff = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, HedgePolicy> _policies = new(StringComparer.Ordinal);

    public async Task<FanOutResult> SearchAsync(CatalogDefinition catalog, float[] vector, int k, string? category, CancellationToken cancellationToken) =>
        await SearchAsync(catalog, vector, k, category, ef: null, cancellationToken);

    /// <summary>As above, with the graph's per-query candidate count (<see cref="ShardQuery.Ef"/>; null for the shards' default).</summary>
    public async Task<FanOutResult> SearchAsync(CatalogDefinition catalog, float[] vector, int k, string? category, int? ef, CancellationToken cancellationToken) =>
        await SearchAsync(catalog, vector, k, category, ef, filterJson: null, cancellationToken);

    /// <summary>As above, with a metadata filter already validated against the catalog's fields (canonical JSON; null for none).</summary>
    public async Task<FanOutResult> SearchAsync(CatalogDefinition catalog, float[] vector, int k, string? category, int? ef, string? filterJson,
        CancellationToken cancellationToken)
    {
        DistanceMetrics.TryParse(catalog.Metric, out var metric);
        var query = new ShardQuery(vector, k, category, ef, filterJson);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.SearchTimeout);

        ShardReplicaAnswer?[] replies;
        using (var fanOut = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.FanOut))
        {
            fanOut?.SetTag(OutfitFinderTelemetry.Tags.Catalog, catalog.Name);
            fanOut?.SetTag(OutfitFinderTelemetry.Tags.K, k);
            var calls = Enumerable.Range(0, catalog.Shards)
                .Select(shard => AskShardAsync(catalog.Name, shard, Math.Max(1, catalog.Replicas), query, deadline.Token))
                .ToArray();
            replies = await Task.WhenAll(calls);
            fanOut?.SetTag(OutfitFinderTelemetry.Tags.ShardsFailed, replies.Count(reply => reply is null));
        }

        cancellationToken.ThrowIfCancellationRequested();

        var answered = replies.Where(reply => reply is not null).Select(reply => reply!).ToList();
        var failed = catalog.Shards - answered.Count;
        if (failed == catalog.Shards)
        {
            throw new ShardsUnavailableException($"None of the {catalog.Shards} shards of catalog '{catalog.Name}' answered within {options.Value.SearchTimeout.TotalSeconds:0.#} s.");
        }

        using var merge = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.Merge);
        var merged = TopKMerge.Merge(answered.Select(answer => answer.Hits).ToList(), k, metric, hit => new IndexHit(hit.ProductId, hit.ImageIndex, hit.Score));
        merge?.SetTag(OutfitFinderTelemetry.Tags.Hits, merged.Count);
        // A writer's answer has a lag of -1 (see AskCopyAsync): it is current, and it does not make the answer stale.
        var lag = answered.Max(answer => answer.LagMs);
        return new FanOutResult(merged, failed > 0, failed, lag >= 0, Math.Max(0, lag));
    }

    /// <summary>The first answer of one of the shard's copies, hedged; null when none answered before the deadline.</summary>
    private async Task<ShardReplicaAnswer?> AskShardAsync(string catalog, int shard, int copies, ShardQuery query, CancellationToken deadline)
    {
        var started = Stopwatch.GetTimestamp();
        var policy = _policies.GetOrAdd($"{catalog}/{shard}", _ => new HedgePolicy(hedging.Value));
        var order = policy.Order(copies, started);
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        var running = new Dictionary<Task<ShardReplicaAnswer>, int>();
        // Asks made so far; ask n goes to order[n % copies]. A hedge may ask each copy a second time; retry rounds
        // after transport failures ask every copy again.
        var next = 0;
        var round = 0;
        Task? backoff = null;
        Exception? lastFailure = null;
        var failures = new List<CopyFailure>();
        try
        {
            Ask();
            while (true)
            {
                // Wait for an answer; for the backoff before a retry round; else for the hedge delay while a hedge is left.
                var wait = backoff
                    ?? (hedging.Value.Enabled && next < 2 * order.Count ? Task.Delay(policy.Delay, losers.Token) : Task.Delay(Timeout.Infinite, losers.Token));
                var done = await Task.WhenAny([.. running.Keys, wait]);
                if (deadline.IsCancellationRequested)
                {
                    break;
                }

                if (done == wait && wait == backoff)
                {
                    backoff = null;
                    round++;
                    foreach (var _ in order)
                    {
                        Ask();
                    }

                    continue;
                }

                if (done == wait)
                {
                    // Too slow: the copies asked so far go last for a while, and the next one is asked too.
                    foreach (var slow in running.Values)
                    {
                        policy.MarkSuspect(slow, Stopwatch.GetTimestamp());
                    }

                    Ask();
                    continue;
                }

                var finished = (Task<ShardReplicaAnswer>)done;
                var copy = running[finished];
                running.Remove(finished);
                if (finished.IsCompletedSuccessfully)
                {
                    policy.Record(Stopwatch.GetElapsedTime(started));
                    return finished.Result;
                }

                lastFailure = finished.Exception?.GetBaseException();
                failures.Add(new CopyFailure(copy, Stopwatch.GetElapsedTime(started).TotalMilliseconds, lastFailure));
                policy.MarkSuspect(copy, Stopwatch.GetTimestamp());
                if (next < order.Count)
                {
                    // A failed copy is replaced at once, hedging or not.
                    Ask();
                }
                else if (round < TransientRetryRounds && IsTransportFailure(lastFailure))
                {
                    // Every copy has been asked and this one could not be reached: ask them all again after a wait that
                    // doubles each round, so the rounds span most of the deadline.
                    backoff ??= Task.Delay(TransientRetryBackoff * (1 << round), losers.Token);
                }
                else if (running.Count == 0 && backoff is null)
                {
                    break;
                }
            }

            LogShardFailed(lastFailure, catalog, shard, Stopwatch.GetElapsedTime(started).TotalMilliseconds, running.Count, Describe(failures));
            return null;
        }
        finally
        {
            // The copies still running lost the race (or the deadline passed): cancel them.
            await losers.CancelAsync();
        }

        void Ask()
        {
            var copy = order[next++ % order.Count];
            running.Add(AskCopyAsync(catalog, shard, copy, query, losers.Token), copy);
        }
    }

    /// <summary>
    /// Whether a copy's call failed on the way rather than in the grain: the message was rejected (its silo is
    /// unavailable) or the connection it took failed. Such a failure says nothing about the shard's other copies, and
    /// the same call a moment later takes another route.
    /// </summary>
    internal static bool IsTransportFailure(Exception? failure) =>
        failure is OrleansMessageRejectionException or ConnectionFailedException or SocketConnectionException or GatewayTooBusyException
            or ClientNotAvailableException;

    /// <summary>Copy 0 is the shard's writer, whose answer is current (lag -1); copy r ≥ 1 is read replica r.</summary>
    private async Task<ShardReplicaAnswer> AskCopyAsync(string catalog, int shard, int copy, ShardQuery query, CancellationToken cancellationToken)
    {
        if (copy == 0)
        {
            var hits = await grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, shard)).SearchAsync(query, cancellationToken).WaitAsync(cancellationToken);
            return new ShardReplicaAnswer(hits, -1);
        }

        return await grains.GetGrain<ICatalogShardReplicaGrain>(ShardKeys.ForReplica(catalog, shard, copy)).SearchAsync(query, cancellationToken)
            .WaitAsync(cancellationToken);
    }

    /// <summary>One ask of a shard's copy that failed: which copy, when (ms after the shard was first asked), and why.</summary>
    private sealed record CopyFailure(int Copy, double AtMs, Exception? Error);

    /// <summary>
    /// Every failed ask, in order, one line each: an operator reading a partial answer needs to see which copies failed
    /// and how (a copy that failed on the way and one whose grain threw are fixed differently), not only the last error.
    /// </summary>
    private static string Describe(List<CopyFailure> failures) =>
        failures.Count == 0
            ? "none (no copy answered before the deadline)"
            : string.Join("; ", failures.Select(failure =>
                $"{(failure.Copy == 0 ? "writer" : $"replica {failure.Copy}")} at {failure.AtMs:F0} ms: {failure.Error?.GetType().Name}: {FirstLine(failure.Error?.Message)}"));

    private static string FirstLine(string? message)
    {
        var line = (message ?? "").Split('\n', 2)[0].Trim();
        return line.Length <= 160 ? line : line[..160] + "…";
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "Shard {Catalog}/{Shard} gave no answer from any copy after {ElapsedMs:F0} ms; the result is partial. Asks still running: {Running}; failed asks: {Failures}")]
    private partial void LogShardFailed(Exception? exception, string catalog, int shard, double elapsedMs, int running, string failures);
}

/// <summary>No shard of a catalog answered: the search cannot say anything.</summary>
public sealed class ShardsUnavailableException(string message) : Exception(message);
