using System.Threading.Channels;

namespace OutfitFinder.Core.Search;

/// <summary>
/// Answers a batch of queries in one pass: <paramref name="queries"/> holds them back to back
/// (<c>count × dimension</c> floats) and answer i belongs to query i, best first, at most
/// <paramref name="k"/> hits. <see cref="FlatVectorIndex.SearchBatch"/> is one.
/// </summary>
public delegate IReadOnlyList<IndexHit>[] BatchSearch(ReadOnlySpan<float> queries, int k, string? category);

/// <summary>
/// Groups concurrent searches into batched passes over the vectors, because an exact scan is bound by
/// memory bandwidth: scoring 16 queries against each block of rows while it is in cache costs little more
/// than scoring one. Thread-safe.
/// </summary>
/// <remarks>
/// <para>Modelled on <c>EmbeddingBatcher</c>: a single consumer loop takes the first queued search plus whatever
/// else is already queued, up to <see cref="SearchBatcherOptions.MaxBatchSize"/>, and runs it. A lone search
/// therefore waits for nothing; under load, searches pile up while a pass runs and form the next batch by
/// themselves.</para>
/// <para>One pass answers one category filter, so a batch is split by category (ordinal) and each group is one
/// call of the <see cref="BatchSearch"/>, asked for the largest k in the group; every caller gets the first k of
/// its answer, which is exactly its own top k because hits are ordered by one total order.</para>
/// <para>The batch runs on the loop's thread, not the caller's: whoever owns the index must keep writes away
/// from it while searches are in flight, as with any concurrent search. A search cancelled while queued is
/// dropped before the pass; a failing pass faults exactly the searches of its group. Disposal lets the running
/// pass finish, then fails everything still queued with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class SearchBatcher : IAsyncDisposable
{
    private readonly BatchSearch _search;
    private readonly int _maxBatchSize;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _consumer;
    private long _passesRun;
    private long _queriesAnswered;
    private int _largestPass;
    private int _disposed;

    /// <param name="dimension">Length of every query; at least 1.</param>
    /// <param name="search">The batched search, called from one thread at a time.</param>
    /// <param name="options">Batch limits; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dimension or an option is out of range.</exception>
    public SearchBatcher(int dimension, BatchSearch search, SearchBatcherOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(search);
        options ??= new SearchBatcherOptions();
        if (options.MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchSize, "MaxBatchSize must be at least 1.");
        }

        Dimension = dimension;
        _search = search;
        _maxBatchSize = options.MaxBatchSize;
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>Length of every query.</summary>
    public int Dimension { get; }

    /// <summary>Calls of the <see cref="BatchSearch"/> so far, failed ones included.</summary>
    public long PassesRun => Interlocked.Read(ref _passesRun);

    /// <summary>Queries answered by successful passes so far.</summary>
    public long QueriesAnswered => Interlocked.Read(ref _queriesAnswered);

    /// <summary>Most queries sent to one pass so far.</summary>
    public int LargestPass => Volatile.Read(ref _largestPass);

    /// <summary>
    /// Searches for <paramref name="query"/> together with whatever other searches are waiting; completes with
    /// the top <paramref name="k"/> hits of <paramref name="category"/> (any when null), best first, exactly as
    /// one search alone would return them. The query is copied before this method returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimension"/>.</exception>
    public Task<IReadOnlyList<IndexHit>> SearchAsync(ReadOnlySpan<float> query, int k, string? category = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (query.Length != Dimension)
        {
            throw new ArgumentException(
                $"The query has {query.Length} values but this batcher takes {Dimension}-dimensional queries.", nameof(query));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<IReadOnlyList<IndexHit>>(cancellationToken);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return Task.FromException<IReadOnlyList<IndexHit>>(new ObjectDisposedException(nameof(SearchBatcher)));
        }

        var request = new Request(query.ToArray(), k, category, cancellationToken);
        if (!_queue.Writer.TryWrite(request))
        {
            request.Fail(new ObjectDisposedException(nameof(SearchBatcher)));
        }

        return request.Task;
    }

    /// <summary>Stops taking searches, waits for the running pass and fails queued searches with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _consumer.ConfigureAwait(false);

        var disposed = new ObjectDisposedException(nameof(SearchBatcher));
        while (_queue.Reader.TryRead(out var request))
        {
            request.Fail(disposed);
        }

        _stopping.Dispose();
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
                while (batch.Count < _maxBatchSize && reader.TryRead(out var request))
                {
                    // A search cancelled while queued costs no place in the pass.
                    if (!request.Task.IsCompleted)
                    {
                        batch.Add(request);
                    }
                }

                foreach (var group in batch.GroupBy(request => request.Category, StringComparer.Ordinal))
                {
                    RunPass([.. group]);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposal: whatever is still queued is failed by DisposeAsync.
        }
    }

    /// <summary>One call of the batched search for searches of one category; completes or faults each of them.</summary>
    private void RunPass(Request[] group)
    {
        var queries = new float[group.Length * Dimension];
        var k = 1;
        for (var i = 0; i < group.Length; i++)
        {
            group[i].Query.CopyTo(queries, i * Dimension);
            k = Math.Max(k, group[i].K);
        }

        IReadOnlyList<IndexHit>[] answers;
        try
        {
            answers = _search(queries, k, group[0].Category);
            if (answers is null || answers.Length != group.Length)
            {
                throw new InvalidOperationException(
                    $"The batched search returned {answers?.Length ?? 0} answers for {group.Length} queries.");
            }
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _passesRun);
            foreach (var request in group)
            {
                request.Fail(ex);
            }

            return;
        }

        Interlocked.Increment(ref _passesRun);
        Interlocked.Add(ref _queriesAnswered, group.Length);
        if (group.Length > _largestPass)
        {
            Volatile.Write(ref _largestPass, group.Length);
        }

        for (var i = 0; i < group.Length; i++)
        {
            var answer = answers[i];
            group[i].Complete(answer.Count <= group[i].K ? answer : [.. answer.Take(group[i].K)]);
        }
    }

    /// <summary>One caller's query and the task it awaits.</summary>
    private sealed class Request
    {
        private readonly TaskCompletionSource<IReadOnlyList<IndexHit>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public Request(float[] query, int k, string? category, CancellationToken cancellationToken)
        {
            Query = query;
            K = k;
            Category = category;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(
                    static (state, token) => ((TaskCompletionSource<IReadOnlyList<IndexHit>>)state!).TrySetCanceled(token), _completion);
            }
        }

        public float[] Query { get; }

        public int K { get; }

        public string? Category { get; }

        public Task<IReadOnlyList<IndexHit>> Task => _completion.Task;

        public void Complete(IReadOnlyList<IndexHit> hits)
        {
            _completion.TrySetResult(hits);
            _registration.Dispose();
        }

        public void Fail(Exception exception)
        {
            _completion.TrySetException(exception);
            _registration.Dispose();
        }
    }
}
