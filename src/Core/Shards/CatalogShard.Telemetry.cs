using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Telemetry;

namespace OutfitFinder.Core.Shards;

/// <summary>What a shard reports to telemetry: its search span and timings, and its size as gauges.</summary>
public sealed partial class CatalogShard
{
    /// <summary>Every shard open in this process, read by the size gauges when a reader collects them.</summary>
    private static readonly ConcurrentDictionary<CatalogShard, byte> OpenShards = new();

    // Observable: nothing is counted on the write path; a collection reads each open shard's counts.
    private static readonly ObservableGauge<int> ProductsGauge = OutfitFinderTelemetry.Meter.CreateObservableGauge(
        "outfitfinder.shard.products", () => Measure(shard => shard._index.ProductCount), "{product}", "Products held by each open shard.");

    private static readonly ObservableGauge<int> VectorsGauge = OutfitFinderTelemetry.Meter.CreateObservableGauge(
        "outfitfinder.shard.vectors", () => Measure(shard => shard._index.ImageCount), "{vector}", "Image vectors held by each open shard.");

    private static readonly ObservableGauge<long> MemoryGauge = OutfitFinderTelemetry.Meter.CreateObservableGauge(
        "outfitfinder.shard.memory", () => Measure(shard => shard.MemoryBytes), "By",
        "Estimated bytes each open shard's indexes hold (vectors, codes, graph links), from their array sizes.");

    private void TrackOpen() => OpenShards.TryAdd(this, 0);

    private void TrackClosed() => OpenShards.TryRemove(this, out _);

    /// <summary>A durable append to the shard's log, counted once it is durable.</summary>
    private async Task AppendAsync(IReadOnlyList<ShardLogRecord> records, CancellationToken cancellationToken)
    {
        await _shardStore.AppendAsync(records, cancellationToken);
        OutfitFinderTelemetry.ShardLogAppends.Add(1, new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, _definition.Catalog));
    }

    private static void CountCompaction(string catalog, bool succeeded) =>
        OutfitFinderTelemetry.ShardCompactions.Add(1,
            new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, catalog),
            new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Outcome, succeeded ? "ok" : "failed"));

    private static IEnumerable<Measurement<T>> Measure<T>(Func<CatalogShard, T> read)
        where T : struct
    {
        foreach (var shard in OpenShards.Keys)
        {
            yield return new Measurement<T>(read(shard),
                new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, shard._definition.Catalog),
                new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Shard, shard._definition.Shard));
        }
    }

    private Activity? StartSearchActivity(ShardSearch query, string index, int rows)
    {
        var activity = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.ShardSearch);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(OutfitFinderTelemetry.Tags.Catalog, _definition.Catalog);
            activity.SetTag(OutfitFinderTelemetry.Tags.Shard, _definition.Shard);
            activity.SetTag(OutfitFinderTelemetry.Tags.Index, index);
            activity.SetTag(OutfitFinderTelemetry.Tags.Rows, rows);
            activity.SetTag(OutfitFinderTelemetry.Tags.K, query.K);
            if (index == SearchKinds.Graph)
            {
                activity.SetTag(OutfitFinderTelemetry.Tags.Ef, query.Ef ?? _indexSettings.DefaultEf);
            }
        }

        return activity;
    }

    private void RecordSearch(string index, long rows, long started)
    {
        var catalog = new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, _definition.Catalog);
        var kind = new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Index, index);
        OutfitFinderTelemetry.ShardSearchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, catalog, kind);
        OutfitFinderTelemetry.ShardRowsScored.Add(rows, catalog, kind);
    }

    /// <summary>The <see cref="OutfitFinderTelemetry.Tags.Index"/> values of a shard search.</summary>
    private static class SearchKinds
    {
        public const string Scan = "scan";
        public const string Graph = "graph";
    }
}
