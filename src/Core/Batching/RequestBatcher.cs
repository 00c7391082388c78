using System.Threading.Channels;

namespace OutfitFinder.Core.Batching;

/// <summary>
/// The skeleton every batcher shares: callers queue requests, and a single consumer loop takes the first
/// queued request plus whatever else is already queued, up to a maximum, and hands them to
/// <see cref="RunBatch"/> in one go. A lone request therefore waits for nothing, while under load requests
/// pile up during the running batch and form the next one by themselves. Thread-safe.
/// </summary>
/// <remarks>
/// <para>A positive <c>maxDelay</c> lets a batch that is not full wait that long for more requests after its
/// first one was taken, trading latency for fuller batches.</para>
/// <para>A request cancelled while queued is dropped (and <see cref="BatchRequest{TResult}.Release"/>d) before
/// it costs a place in a batch. <see cref="RunBatch"/> must complete or fail every request it is given.
/// Disposal lets the running batch finish, then fails everything still queued with
/// <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
/// <typeparam name="TRequest">One caller's request.</typeparam>
/// <typeparam name="TResult">What the caller awaits.</typeparam>
public abstract class RequestBatcher<TRequest, TResult> : IAsyncDisposable
    where TRequest : BatchRequest<TResult>
{
    private readonly Channel<TRequest> _queue = Channel.CreateUnbounded<TRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxDelay;
    private Task? _consumer;
    private long _batchesRun;
    private long _requestsAnswered;
    private int _largestBatch;
    private int _disposed;

    /// <param name="maxBatchSize">Most requests in one batch; at least 1.</param>
    /// <param name="maxDelay">How long a batch that is not full may wait for more; zero takes only what is queued.</param>
    protected RequestBatcher(int maxBatchSize, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        _maxBatchSize = maxBatchSize;
        _maxDelay = maxDelay;
    }

    /// <summary>Batches run so far, failed ones included (a batch split into groups counts each group).</summary>
    protected long BatchesRun => Interlocked.Read(ref _batchesRun);

    /// <summary>Requests answered by successful batches so far.</summary>
    protected long RequestsAnswered => Interlocked.Read(ref _requestsAnswered);

    /// <summary>Most requests in one successful batch so far.</summary>
    protected int LargestBatch => Volatile.Read(ref _largestBatch);

    /// <summary>Whether disposal has begun: a new request would only be failed, so callers may skip preparing it.</summary>
    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Starts the consumer loop; called once, at the end of the derived constructor.</summary>
    protected void Start() => _consumer ??= Task.Run(ConsumeAsync);

    /// <summary>Queues <paramref name="request"/> and returns the task its caller awaits.</summary>
    protected Task<TResult> Enqueue(TRequest request)
    {
        if (IsDisposed || !_queue.Writer.TryWrite(request))
        {
            request.Release();
            request.Fail(new ObjectDisposedException(GetType().Name));
        }

        return request.Task;
    }

    /// <summary>Runs one batch of pending requests on the consumer's thread; completes or fails each of them.</summary>
    protected abstract void RunBatch(List<TRequest> batch);

    /// <summary>Counts one batch (or one group of a batch) that ran, and its requests when it succeeded.</summary>
    protected void CountBatch(int requests, bool succeeded)
    {
        Interlocked.Increment(ref _batchesRun);
        if (!succeeded)
        {
            return;
        }

        Interlocked.Add(ref _requestsAnswered, requests);
        if (requests > _largestBatch)
        {
            Volatile.Write(ref _largestBatch, requests);
        }
    }

    /// <summary>Releases what the derived batcher owns, after the queue is drained. Called once.</summary>
    protected virtual void DisposeCore()
    {
    }

    /// <summary>Stops taking requests, waits for the running batch and fails queued requests with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_consumer is not null)
        {
            await _consumer.ConfigureAwait(false);
        }

        var disposed = new ObjectDisposedException(GetType().Name);
        while (_queue.Reader.TryRead(out var request))
        {
            request.Release();
            request.Fail(disposed);
        }

        _stopping.Dispose();
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>The single consumer: never throws, ends when disposal cancels <see cref="_stopping"/>.</summary>
    private async Task ConsumeAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<TRequest>(_maxBatchSize);
        try
        {
            while (!_stopping.IsCancellationRequested && await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                TakeQueued(reader, batch);
                if (batch.Count > 0 && batch.Count < _maxBatchSize && _maxDelay > TimeSpan.Zero)
                {
                    await WaitForMoreAsync(reader, batch).ConfigureAwait(false);
                }

                // Requests cancelled while the batch was gathering (a positive delay) are dropped here too.
                batch.RemoveAll(DropIfCompleted);
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

    private void TakeQueued(ChannelReader<TRequest> reader, List<TRequest> batch)
    {
        while (batch.Count < _maxBatchSize && reader.TryRead(out var request))
        {
            if (!DropIfCompleted(request))
            {
                batch.Add(request);
            }
        }
    }

    /// <summary>Drops a request cancelled while queued, before it costs a place in a batch.</summary>
    private static bool DropIfCompleted(TRequest request)
    {
        if (!request.Task.IsCompleted)
        {
            return false;
        }

        request.Release();
        return true;
    }

    private async Task WaitForMoreAsync(ChannelReader<TRequest> reader, List<TRequest> batch)
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
}

/// <summary>
/// One caller's request to a <see cref="RequestBatcher{TRequest, TResult}"/> and the task it awaits; completed
/// at most once, by its batch, by its caller's cancellation, or by disposal.
/// </summary>
public abstract class BatchRequest<TResult>
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _registration;

    /// <param name="cancellationToken">Cancels the caller's task; a request cancelled while queued is never run.</param>
    protected BatchRequest(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((TaskCompletionSource<TResult>)state!).TrySetCanceled(token), _completion);
        }
    }

    /// <summary>What the caller awaits.</summary>
    public Task<TResult> Task => _completion.Task;

    /// <summary>Completes the caller's task with <paramref name="result"/>, unless it already ended.</summary>
    public void Complete(TResult result)
    {
        _completion.TrySetResult(result);
        _registration.Dispose();
    }

    /// <summary>Faults the caller's task, unless it already ended.</summary>
    public void Fail(Exception exception)
    {
        _completion.TrySetException(exception);
        _registration.Dispose();
    }

    /// <summary>
    /// Returns pooled resources the request holds. Called exactly once by whoever takes the request out of the
    /// queue without running it (a drop or disposal); a batch that runs it releases what it used itself.
    /// </summary>
    public virtual void Release()
    {
    }
}
