using OutfitFinder.Core.Batching;

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
/// <para>The queue and its single consumer loop are <see cref="RequestBatcher{TRequest, TResult}"/>'s: a batch is
/// the first queued search plus whatever else is already queued, up to <see cref="SearchBatcherOptions.MaxBatchSize"/>.
/// A lone search therefore waits for nothing; under load, searches pile up while a pass runs and form the next
/// batch by themselves.</para>
/// <para>One pass answers one category filter, so a batch is split by category (ordinal) and each group is one
/// call of the <see cref="BatchSearch"/>, asked for the largest k in the group; every caller gets the first k of
/// its answer, which is exactly its own top k because hits are ordered by one total order.</para>
/// <para>The batch runs on the loop's thread, not the caller's: whoever owns the index must keep writes away
/// from it while searches are in flight, as with any concurrent search. A search cancelled while queued is
/// dropped before the pass; a failing pass faults exactly the searches of its group. Disposal lets the running
/// pass finish, then fails everything still queued with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class SearchBatcher : RequestBatcher<SearchBatcher.Request, IReadOnlyList<IndexHit>>
{
    private readonly BatchSearch _search;

    /// <param name="dimension">Length of every query; at least 1.</param>
    /// <param name="search">The batched search, called from one thread at a time.</param>
    /// <param name="options">Batch limits; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dimension or an option is out of range.</exception>
    public SearchBatcher(int dimension, BatchSearch search, SearchBatcherOptions? options = null)
        : base(ValidMaxBatchSize(options ?? new SearchBatcherOptions()), TimeSpan.Zero)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(search);
        Dimension = dimension;
        _search = search;
        Start();
    }

    /// <summary>Length of every query.</summary>
    public int Dimension { get; }

    /// <summary>Calls of the <see cref="BatchSearch"/> so far, failed ones included.</summary>
    public long PassesRun => BatchesRun;

    /// <summary>Queries answered by successful passes so far.</summary>
    public long QueriesAnswered => RequestsAnswered;

    /// <summary>Most queries sent to one pass so far.</summary>
    public int LargestPass => LargestBatch;

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

        return Enqueue(new Request(query.ToArray(), k, category, cancellationToken));
    }

    /// <summary>One pass answers one category filter, so the batch runs as one pass per category.</summary>
    protected override void RunBatch(List<Request> batch)
    {
        foreach (var group in batch.GroupBy(request => request.Category, StringComparer.Ordinal))
        {
            RunPass([.. group]);
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
            CountBatch(group.Length, succeeded: false);
            foreach (var request in group)
            {
                request.Fail(ex);
            }

            return;
        }

        CountBatch(group.Length, succeeded: true);
        for (var i = 0; i < group.Length; i++)
        {
            var answer = answers[i];
            group[i].Complete(answer.Count <= group[i].K ? answer : [.. answer.Take(group[i].K)]);
        }
    }

    private static int ValidMaxBatchSize(SearchBatcherOptions options) => options.MaxBatchSize >= 1
        ? options.MaxBatchSize
        : throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchSize, "MaxBatchSize must be at least 1.");

    /// <summary>One caller's query.</summary>
    public sealed class Request(float[] query, int k, string? category, CancellationToken cancellationToken)
        : BatchRequest<IReadOnlyList<IndexHit>>(cancellationToken)
    {
        public float[] Query { get; } = query;

        public int K { get; } = k;

        public string? Category { get; } = category;
    }
}
