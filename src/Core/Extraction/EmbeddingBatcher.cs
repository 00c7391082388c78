using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// Groups concurrent embedding requests into one model call each, because a model call costs
/// little more for 16 images than for one (and on a GPU, far less per image). Owns its
/// <see cref="IImageEmbedder"/>. Thread-safe.
/// </summary>
/// <remarks>
/// <para>Each caller preprocesses its own image on its own thread (resize and normalise run in
/// parallel); a single consumer loop serialises only the model. The loop is greedy: it takes the
/// first queued request plus whatever else is already queued, up to
/// <see cref="EmbeddingBatcherOptions.MaxBatchSize"/>, and runs it. A lone request therefore
/// waits for nothing, while under load requests pile up during the running call and form the
/// next batch by themselves. <see cref="EmbeddingBatcherOptions.MaxDelay"/> can trade latency
/// for fuller batches.</para>
/// <para>A request cancelled while queued is dropped before the model call; one cancelled during
/// the call is cancelled and its vector discarded. A failing model call faults exactly the
/// requests of its batch. Disposal lets the running batch finish, then fails everything still
/// queued with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed partial class EmbeddingBatcher : IAsyncDisposable
{
    private readonly IImageEmbedder _embedder;
    private readonly ILogger<EmbeddingBatcher> _logger;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _consumer;
    private long _batchesRun;
    private long _imagesEmbedded;
    private int _largestBatch;
    private int _disposed;

    /// <summary>Starts the consumer loop. The batcher owns <paramref name="embedder"/> and disposes it.</summary>
    /// <exception cref="OptionsValidationException">An option is out of range.</exception>
    public EmbeddingBatcher(IImageEmbedder embedder, EmbeddingBatcherOptions options, ILogger<EmbeddingBatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new EmbeddingBatcherOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(EmbeddingBatcherOptions), validation.Failures);
        }

        _embedder = embedder;
        _logger = logger;
        _maxBatchSize = options.MaxBatchSize;
        _maxDelay = options.MaxDelay;
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>The embedder this batcher owns; its <see cref="IImageEmbedder.Dimension"/> is the length of every vector returned.</summary>
    public IImageEmbedder Embedder => _embedder;

    /// <summary>Model calls made so far, failed ones included.</summary>
    public long BatchesRun => Interlocked.Read(ref _batchesRun);

    /// <summary>Images embedded by successful model calls so far.</summary>
    public long ImagesEmbedded => Interlocked.Read(ref _imagesEmbedded);

    /// <summary>Most images sent to one model call so far.</summary>
    public int LargestBatch => Volatile.Read(ref _largestBatch);

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

        if (Volatile.Read(ref _disposed) != 0)
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

        var request = new Request(input, cancellationToken);
        if (!_queue.Writer.TryWrite(request))
        {
            request.ReleaseInput();
            request.Fail(new ObjectDisposedException(nameof(EmbeddingBatcher)));
        }

        return request.Task;
    }

    /// <summary>
    /// Stops taking requests, waits for the running model call, fails queued requests with
    /// <see cref="ObjectDisposedException"/> and disposes the embedder.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _consumer.ConfigureAwait(false);

        var disposed = new ObjectDisposedException(nameof(EmbeddingBatcher));
        while (_queue.Reader.TryRead(out var request))
        {
            request.ReleaseInput();
            request.Fail(disposed);
        }

        _stopping.Dispose();
        _embedder.Dispose();
    }

    /// <summary>The single consumer: never throws, ends when disposal cancels <see cref="_stopping"/>.</summary>
    private async Task ConsumeAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>(_maxBatchSize);
        try
        {
            while (!_stopping.IsCancellationRequested && await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                TakeQueued(reader, batch);
                if (batch.Count > 0 && batch.Count < _maxBatchSize && _maxDelay > TimeSpan.Zero)
                {
                    await WaitForMoreAsync(reader, batch).ConfigureAwait(false);
                }

                if (batch.Count > 0)
                {
                    RunBatch(batch);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposal: whatever is still queued is failed by DisposeAsync.
        }
    }

    private void TakeQueued(ChannelReader<Request> reader, List<Request> batch)
    {
        while (batch.Count < _maxBatchSize && reader.TryRead(out var request))
        {
            if (!DropIfCompleted(request))
            {
                batch.Add(request);
            }
        }
    }

    /// <summary>Drops a request cancelled while queued, before it costs a model slot.</summary>
    private static bool DropIfCompleted(Request request)
    {
        if (!request.Task.IsCompleted)
        {
            return false;
        }

        request.ReleaseInput();
        return true;
    }

    private async Task WaitForMoreAsync(ChannelReader<Request> reader, List<Request> batch)
    {
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        delay.CancelAfter(_maxDelay);
        try
        {
            while (batch.Count < _maxBatchSize && await reader.WaitToReadAsync(delay.Token).ConfigureAwait(false))
            {
                TakeQueued(reader, batch);
            }
        }
        catch (OperationCanceledException)
        {
            // Delay over (or disposal): run what was gathered; the requests are already taken.
        }
    }

    /// <summary>One model call for <paramref name="batch"/>; completes or faults every request in it.</summary>
    private void RunBatch(List<Request> batch)
    {
        // Requests cancelled while the batch was gathering (MaxDelay) are dropped here too.
        batch.RemoveAll(DropIfCompleted);
        if (batch.Count == 0)
        {
            return;
        }

        var inputLength = _embedder.InputLength;
        var count = batch.Count;
        var inputs = ArrayPool<float>.Shared.Rent(count * inputLength);
        try
        {
            for (var i = 0; i < count; i++)
            {
                batch[i].CopyInputTo(inputs.AsSpan(i * inputLength, inputLength));
                batch[i].ReleaseInput();
            }

            var started = Stopwatch.GetTimestamp();
            float[] vectors;
            try
            {
                vectors = _embedder.Run(inputs.AsMemory(0, count * inputLength));
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _batchesRun);
                Log.BatchFailed(_logger, count, ex);
                foreach (var request in batch)
                {
                    request.Fail(ex);
                }

                return;
            }

            Interlocked.Increment(ref _batchesRun);
            Interlocked.Add(ref _imagesEmbedded, count);
            if (count > _largestBatch)
            {
                Volatile.Write(ref _largestBatch, count);
            }

            Log.BatchEmbedded(_logger, count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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

    /// <summary>One caller's preprocessed image and the task it awaits.</summary>
    /// <remarks>
    /// The pooled input buffer is returned exactly once, by whoever takes the request out of the
    /// queue (the consumer or disposal), or by <see cref="EmbedAsync"/> when the queue refused it.
    /// The cancellation callback only completes the task.
    /// </remarks>
    private sealed class Request
    {
        private readonly TaskCompletionSource<float[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;
        private float[]? _input;

        public Request(float[] input, CancellationToken cancellationToken)
        {
            _input = input;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(
                    static (state, token) => ((TaskCompletionSource<float[]>)state!).TrySetCanceled(token), _completion);
            }
        }

        public Task<float[]> Task => _completion.Task;

        public void CopyInputTo(Span<float> destination) =>
            (_input ?? throw new InvalidOperationException("The request's input was already released.")).AsSpan(0, destination.Length).CopyTo(destination);

        public void ReleaseInput()
        {
            if (_input is { } input)
            {
                _input = null;
                ArrayPool<float>.Shared.Return(input);
            }
        }

        public void Complete(float[] vector)
        {
            _completion.TrySetResult(vector);
            _registration.Dispose();
        }

        public void Fail(Exception exception)
        {
            _completion.TrySetException(exception);
            _registration.Dispose();
        }
    }
}
