using System.Diagnostics;
using OutfitFinder.Core.Telemetry;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// Reports one model call of an <see cref="EmbeddingBatcher"/>: queue time, batch size and images per model and
/// execution provider as metrics, and, in the trace of each request in the batch, a batch-wait span (queued until the
/// call started) and a model-run span (the call itself, tagged with the batch size).
/// </summary>
/// <remarks>
/// A batch serves requests of several traces. OpenTelemetry's usual answer is one span with links, but then a
/// search's own trace would not show the model run it waited for; so each request's trace gets its own copy of the
/// model-run span (same times, same batch size). Spans are made only when something samples them.
/// </remarks>
internal sealed class BatchTelemetry(string model, string executionProvider)
{
    private readonly KeyValuePair<string, object?> _model = new(OutfitFinderTelemetry.Tags.Model, model);
    private readonly KeyValuePair<string, object?> _provider = new(OutfitFinderTelemetry.Tags.ExecutionProvider, executionProvider);

    public void Record(List<EmbeddingBatcher.Request> batch, long started, DateTimeOffset startedAt, Exception? failure)
    {
        var count = batch.Count;
        var runSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        OutfitFinderTelemetry.ExtractorRunDuration.Record(runSeconds, _model, _provider);
        OutfitFinderTelemetry.ExtractorBatchSize.Record(count, _model, _provider);
        if (failure is null)
        {
            OutfitFinderTelemetry.ExtractorImages.Add(count, _model, _provider);
        }

        var endedAt = startedAt + TimeSpan.FromSeconds(runSeconds);
        var traced = OutfitFinderTelemetry.Source.HasListeners();
        foreach (var request in batch)
        {
            OutfitFinderTelemetry.ExtractorQueueDuration.Record(
                Stopwatch.GetElapsedTime(request.QueuedTimestamp, started).TotalSeconds, _model, _provider);
            if (traced && request.Parent != default)
            {
                Span(OutfitFinderTelemetry.Spans.BatchWait, request.Parent, request.QueuedAt, startedAt, count, failure: null);
                Span(OutfitFinderTelemetry.Spans.ModelRun, request.Parent, startedAt, endedAt, count, failure);
            }
        }
    }

    private void Span(string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end, int batchSize, Exception? failure)
    {
        using var activity = OutfitFinderTelemetry.Source.StartActivity(name, ActivityKind.Internal, parent, startTime: start);
        if (activity is null)
        {
            return;
        }

        activity.SetTag(OutfitFinderTelemetry.Tags.BatchSize, batchSize);
        activity.SetTag(_model.Key, _model.Value);
        activity.SetTag(_provider.Key, _provider.Value);
        if (failure is not null)
        {
            activity.RecordFailure(failure);
        }

        activity.SetEndTime(end.UtcDateTime);
    }
}
