using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Batching;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// Groups concurrent embedding requests into one model call each, because a model call costs
/// little more for 16 images than for one (and on a GPU, far less per image). Owns its
/// <see cref="IImageEmbedder"/>. Thread-safe.
/// </summary>
/// <remarks>
/// <para>Each caller preprocesses its own image on its own thread (resize and normalise run in
/// parallel); a single consumer loop (<see cref="RequestBatcher{TRequest, TResult}"/>'s) serialises
/// only the model. The loop is greedy: it takes the first queued request plus whatever else is
/// already queued, up to <see cref="EmbeddingBatcherOptions.MaxBatchSize"/>, and runs it. A lone
/// request therefore waits for nothing, while under load requests pile up during the running call
/// and form the next batch by themselves. <see cref="EmbeddingBatcherOptions.MaxDelay"/> can trade latency
/// for fuller batches.</para>
/// <para>A request cancelled while queued is dropped before the model call; one cancelled during
/// the call is cancelled and its vector discarded. A failing model call faults exactly the
/// requests of its batch. Disposal lets the running batch finish, then fails everything still
/// queued with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed partial class EmbeddingBatcher : RequestBatcher<EmbeddingBatcher.Request, float[]>
{
    private readonly IImageEmbedder _embedder;
    private readonly ILogger<EmbeddingBatcher> _logger;
    private readonly BatchTelemetry _telemetry;

    /// <summary>Starts the consumer loop. The batcher owns <paramref name="embedder"/> and disposes it.</summary>
    /// <exception cref="OptionsValidationException">An option is out of range.</exception>
    public EmbeddingBatcher(IImageEmbedder embedder, EmbeddingBatcherOptions options, ILogger<EmbeddingBatcher> logger)
        : base(Validated(options).MaxBatchSize, options.MaxDelay)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(logger);
        _embedder = embedder;
        _logger = logger;
        _telemetry = new BatchTelemetry(embedder.Model, embedder.ExecutionProvider);
        Start();
    }

    /// <summary>The embedder this batcher owns; its <see cref="IImageEmbedder.Dimension"/> is the length of every vector returned.</summary>
    public IImageEmbedder Embedder => _embedder;

    /// <summary>Model calls made so far, failed ones included.</summary>
    public new long BatchesRun => base.BatchesRun;

    /// <summary>Images embedded by successful model calls so far.</summary>
    public long ImagesEmbedded => RequestsAnswered;

    /// <summary>Most images sent to one model call so far.</summary>
    public new int LargestBatch => base.LargestBatch;

    /// <summary>
    /// Embeds <paramref name="image"/> together with whatever other requests are waiting.
    /// Preprocessing runs on the calling thread before this method returns; the task completes
    /// with the L2-normalised vector (<see cref="IImageEmbedder.Dimension"/> floats) after the
    /// model call.
    /// </summary>
    /// <remarks>The caller may dispose <paramref name="image"/> as soon as this method returns.</remarks>
    /// <exception cref="ArgumentException">The image cannot be preprocessed (no pixels).</exception>
    public Task<float[]> EmbedAsync(SKBitmap image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<float[]>(cancellationToken);
        }

        // Checked before preprocessing too, so a disposed batcher costs a caller no resize.
        if (IsDisposed)
        {
            return Task.FromException<float[]>(new ObjectDisposedException(nameof(EmbeddingBatcher)));
        }

        var input = ArrayPool<float>.Shared.Rent(_embedder.InputLength);
        try
        {
            _embedder.Preprocess(image, input.AsSpan(0, _embedder.InputLength));
        }
        catch
        {
            ArrayPool<float>.Shared.Return(input);
            throw;
        }

        return Enqueue(new Request(input, cancellationToken));
    }

    /// <summary>Disposes the embedder once the last model call has finished.</summary>
    protected override void DisposeCore() => _embedder.Dispose();

    /// <summary>One model call for <paramref name="batch"/>; completes or faults every request in it.</summary>
    protected override void RunBatch(List<Request> batch)
    {
        var inputLength = _embedder.InputLength;
        var count = batch.Count;
        var inputs = ArrayPool<float>.Shared.Rent(count * inputLength);
        try
        {
            for (var i = 0; i < count; i++)
            {
                batch[i].CopyInputTo(inputs.AsSpan(i * inputLength, inputLength));
                batch[i].Release();
            }

            var started = Stopwatch.GetTimestamp();
            var startedAt = DateTimeOffset.UtcNow;
            float[] vectors;
            try
            {
                vectors = _embedder.Run(inputs.AsMemory(0, count * inputLength));
            }
            catch (Exception ex)
            {
                CountBatch(count, succeeded: false);
                Log.BatchFailed(_logger, count, ex);
                _telemetry.Record(batch, started, startedAt, ex);
                foreach (var request in batch)
                {
                    request.Fail(ex);
                }

                return;
            }

            CountBatch(count, succeeded: true);
            Log.BatchEmbedded(_logger, count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _telemetry.Record(batch, started, startedAt, failure: null);
            var dimension = _embedder.Dimension;
            for (var i = 0; i < count; i++)
            {
                batch[i].Complete(vectors.AsSpan(i * dimension, dimension).ToArray());
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inputs);
        }
    }

    private static EmbeddingBatcherOptions Validated(EmbeddingBatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new EmbeddingBatcherOptionsValidator().Validate(Options.DefaultName, options);
        return validation.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(EmbeddingBatcherOptions), validation.Failures)
            : options;
    }

    /// <summary>One caller's preprocessed image.</summary>
    /// <remarks>
    /// The pooled input buffer is returned exactly once: by the batch that copies it out, or by whoever takes the
    /// request out of the queue without running it. The cancellation callback only completes the task.
    /// </remarks>
    public sealed class Request(float[] input, CancellationToken cancellationToken) : BatchRequest<float[]>(cancellationToken)
    {
        private float[]? _input = input;

        /// <summary>The caller's span (the extractor grain call) when it was queued: the parent of its batch spans.</summary>
        internal ActivityContext Parent { get; } = Activity.Current?.Context ?? default;

        /// <summary>When it was queued, for the queue-time histogram and the batch-wait span.</summary>
        internal long QueuedTimestamp { get; } = Stopwatch.GetTimestamp();

        internal DateTimeOffset QueuedAt { get; } = DateTimeOffset.UtcNow;

        internal void CopyInputTo(Span<float> destination) =>
            (_input ?? throw new InvalidOperationException("The request's input was already released.")).AsSpan(0, destination.Length).CopyTo(destination);

        /// <summary>Returns the pooled input buffer, once.</summary>
        public override void Release()
        {
            if (_input is { } input)
            {
                _input = null;
                ArrayPool<float>.Shared.Return(input);
            }
        }
    }
}
