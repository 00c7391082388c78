using System.Diagnostics;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Telemetry;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>The merged answer of every shard that replied in time.</summary>
public sealed record FanOutResult(IReadOnlyList<ShardHit> Hits, bool Partial, int ShardsFailed);

/// <summary>
/// Asks every shard of a catalog for its own top-k in parallel, under one deadline, and merges the
/// partial lists into the global top-k. Each shard returns at most k products and a product lives
/// in exactly one shard, so the merge needs no dedupe across shards and the union of the shard
/// top-k lists always contains the global top-k.
/// </summary>
public sealed partial class SearchFanOut(IGrainFactory grains, IOptions<GatewayOptions> options, ILogger<SearchFanOut> logger)
{
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

        IReadOnlyList<ShardHit>?[] replies;
        using (var fanOut = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.FanOut))
        {
            fanOut?.SetTag(OutfitFinderTelemetry.Tags.Catalog, catalog.Name);
            fanOut?.SetTag(OutfitFinderTelemetry.Tags.K, k);
            var calls = Enumerable.Range(0, catalog.Shards)
                .Select(shard => AskShardAsync(catalog.Name, shard, query, deadline.Token))
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
        var merged = TopKMerge.Merge(answered, k, metric, hit => new IndexHit(hit.ProductId, hit.ImageIndex, hit.Score));
        merge?.SetTag(OutfitFinderTelemetry.Tags.Hits, merged.Count);
        return new FanOutResult(merged, failed > 0, failed);
    }

    private async Task<IReadOnlyList<ShardHit>?> AskShardAsync(string catalog, int shard, ShardQuery query, CancellationToken deadline)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, shard)).SearchAsync(query, deadline).WaitAsync(deadline);
        }
        catch (Exception exception)
        {
            LogShardFailed(exception, catalog, shard, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return null;
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Shard {Catalog}/{Shard} gave no answer after {ElapsedMs:F0} ms; the result is partial")]
    private partial void LogShardFailed(Exception exception, string catalog, int shard, double elapsedMs);
}

/// <summary>No shard of a catalog answered: the search cannot say anything.</summary>
public sealed class ShardsUnavailableException(string message) : Exception(message);
