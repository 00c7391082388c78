using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OutfitFinder.Core.Telemetry;

/// <summary>
/// The one <see cref="ActivitySource"/> and the one <see cref="System.Diagnostics.Metrics.Meter"/> of OutfitFinder's own
/// code, both named <see cref="Name"/>, with every instrument they publish. Plain <c>System.Diagnostics</c>: Core stays
/// free of OpenTelemetry, and the hosts (silo, gateway) subscribe to these names when they set up telemetry.
/// </summary>
/// <remarks>
/// <para>Static, as the runtime's and Orleans' own sources are: an instrument is cheap until something listens, and a
/// span is created only when a listener samples it (<see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null otherwise), so code that records unconditionally costs next to nothing with telemetry off.</para>
/// <para>Names follow the OpenTelemetry conventions: dotted lower case, a unit per instrument (<c>s</c>, <c>By</c>,
/// <c>{image}</c>), durations in seconds as histograms. A Prometheus scrape shows <c>outfitfinder.search.duration</c>
/// (unit <c>s</c>) as <c>outfitfinder_search_duration_seconds</c> and a counter with a <c>_total</c> suffix.</para>
/// </remarks>
public static class OutfitFinderTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "OutfitFinder";

    /// <summary>Spans of OutfitFinder's own steps (fan-out, shard search, decode, batch wait, model run, merge, ingestion batches).</summary>
    public static readonly ActivitySource Source = new(Name, typeof(OutfitFinderTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Every OutfitFinder instrument.</summary>
    public static readonly Meter Meter = new(Name, typeof(OutfitFinderTelemetry).Assembly.GetName().Version?.ToString());

    // Seconds from 1 ms to 10 s: a search or a model run lands in the middle; the SDK's default boundaries
    // (0, 5, 10, 25, … meant for milliseconds) would put every search in the first bucket.
    private static readonly IReadOnlyList<double> SecondsBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

    private static readonly IReadOnlyList<int> BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128];

    /// <summary>
    /// <c>outfitfinder.search.duration</c>: one gateway search from request to answer, tagged with
    /// <see cref="Tags.Catalog"/> and <see cref="Tags.Outcome"/> (<c>ok</c>, <c>partial</c>, <c>bad_request</c>,
    /// <c>not_found</c>, <c>unavailable</c>). Its count per second is the search QPS.
    /// </summary>
    public static readonly Histogram<double> SearchDuration = Meter.CreateHistogram(
        "outfitfinder.search.duration", "s", "Duration of a search through the gateway, from request to answer.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary><c>outfitfinder.shard.search.duration</c>: one shard's own search, tagged with catalog and <see cref="Tags.Index"/> (<c>scan</c> or <c>graph</c>).</summary>
    public static readonly Histogram<double> ShardSearchDuration = Meter.CreateHistogram(
        "outfitfinder.shard.search.duration", "s", "Duration of one shard's search, by index kind (scan or graph).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary><c>outfitfinder.shard.search.rows</c>: vectors an exact scan scored; a graph search counts its candidates (ef) instead.</summary>
    public static readonly Counter<long> ShardRowsScored = Meter.CreateCounter<long>(
        "outfitfinder.shard.search.rows", "{row}", "Vectors scored by shard searches: every row for a scan, the candidate list (ef) for a graph.");

    /// <summary><c>outfitfinder.extractor.queue.duration</c>: how long an image waited for its model call.</summary>
    public static readonly Histogram<double> ExtractorQueueDuration = Meter.CreateHistogram(
        "outfitfinder.extractor.queue.duration", "s", "Time an image waited in the extractor's batcher before its model call started.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary><c>outfitfinder.extractor.run.duration</c>: one model call, tagged with model and execution provider.</summary>
    public static readonly Histogram<double> ExtractorRunDuration = Meter.CreateHistogram(
        "outfitfinder.extractor.run.duration", "s", "Duration of one model call (a whole batch).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary><c>outfitfinder.extractor.batch.size</c>: images per model call.</summary>
    public static readonly Histogram<int> ExtractorBatchSize = Meter.CreateHistogram(
        "outfitfinder.extractor.batch.size", "{image}", "Images sent to one model call.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });

    /// <summary><c>outfitfinder.extractor.images</c>: images embedded; its rate is images per second.</summary>
    public static readonly Counter<long> ExtractorImages = Meter.CreateCounter<long>(
        "outfitfinder.extractor.images", "{image}", "Images embedded by successful model calls, by model and execution provider.");

    /// <summary><c>outfitfinder.ingestion.rows</c>: manifest rows an ingestion job finished, by <see cref="Tags.Outcome"/> (<c>stored</c>, <c>failed</c>, <c>skipped</c>).</summary>
    public static readonly Counter<long> IngestionRows = Meter.CreateCounter<long>(
        "outfitfinder.ingestion.rows", "{row}", "Manifest rows ingestion jobs finished, by outcome (stored, failed, skipped).");

    /// <summary><c>outfitfinder.ingestion.batch.duration</c>: one ingestion batch (download, embed, store).</summary>
    public static readonly Histogram<double> IngestionBatchDuration = Meter.CreateHistogram(
        "outfitfinder.ingestion.batch.duration", "s", "Duration of one ingestion batch: download, embed and store.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120] });

    /// <summary><c>outfitfinder.shard.log.appends</c>: durable appends to shards' logs (one per write, however many records).</summary>
    public static readonly Counter<long> ShardLogAppends = Meter.CreateCounter<long>(
        "outfitfinder.shard.log.appends", "{append}", "Durable appends to shard logs; one per acknowledged write.");

    /// <summary><c>outfitfinder.shard.compactions</c>: snapshot writes, by <see cref="Tags.Outcome"/> (<c>ok</c> or <c>failed</c>).</summary>
    public static readonly Counter<long> ShardCompactions = Meter.CreateCounter<long>(
        "outfitfinder.shard.compactions", "{compaction}", "Shard compactions (snapshot writes), by outcome.");

    /// <summary>Tag (attribute) names shared by spans and metrics.</summary>
    public static class Tags
    {
        public const string Catalog = "outfitfinder.catalog";
        public const string Shard = "outfitfinder.shard";
        public const string Outcome = "outfitfinder.outcome";
        public const string Index = "outfitfinder.index";
        public const string Rows = "outfitfinder.rows";
        public const string Ef = "outfitfinder.ef";
        public const string K = "outfitfinder.k";
        public const string Model = "outfitfinder.model";
        public const string ExecutionProvider = "outfitfinder.execution_provider";
        public const string BatchSize = "outfitfinder.batch.size";
        public const string Images = "outfitfinder.images";
        public const string Hits = "outfitfinder.hits";
        public const string ShardsFailed = "outfitfinder.shards.failed";
        public const string Job = "outfitfinder.ingestion.job";
    }

    /// <summary>Span names, as exported.</summary>
    public static class Spans
    {
        public const string FanOut = "search fan-out";
        public const string ShardSearch = "shard search";
        public const string Merge = "merge";
        public const string Decode = "decode";
        public const string BatchWait = "extractor batch wait";
        public const string ModelRun = "extractor model run";
        public const string IngestionBatch = "ingestion batch";
    }

    /// <summary>Sets a span's status to error with the exception's message, when the span exists.</summary>
    public static void RecordFailure(this Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity?.AddException(exception);
    }
}
