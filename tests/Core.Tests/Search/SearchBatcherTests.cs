using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class SearchBatcherTests
{
    private const int Dimension = 16;

    [Fact]
    public async Task SearchAsync_GivesEachCallerItsOwnAnswer_WhenSearchesArriveTogether()
    {
        var random = new Random(21);
        var index = SearchTestData.IndexOf(SearchTestData.RandomProducts(random, 400, Dimension), Dimension, DistanceMetric.Cosine);
        var gate = new GatedSearch(index.SearchBatch);
        await using var batcher = new SearchBatcher(Dimension, gate.Search, new SearchBatcherOptions(MaxBatchSize: 8));

        // The first search holds the loop inside its pass, so the next twelve queue up behind it.
        var first = batcher.SearchAsync(SearchTestData.RandomVector(random, Dimension), 5);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var queries = Enumerable.Range(0, 12).Select(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
        var ks = Enumerable.Range(0, 12).Select(i => 1 + (i % 7)).ToArray();
        var categories = Enumerable.Range(0, 12).Select(i => SearchTestData.Categories[i % SearchTestData.Categories.Length]).ToArray();
        var pending = queries.Select((query, i) => batcher.SearchAsync(query, ks[i], categories[i])).ToArray();
        gate.Release();

        await first.WaitAsync(TimeSpan.FromSeconds(10));
        var answers = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10));

        for (var i = 0; i < queries.Length; i++)
        {
            Assert.Equal(index.Search(queries[i], ks[i], categories[i]), answers[i]);
        }

        Assert.Equal(13, batcher.QueriesAnswered);
        Assert.True(batcher.PassesRun < 13, $"{batcher.PassesRun} passes for 13 searches: nothing was batched");
        Assert.InRange(batcher.LargestPass, 2, 8);
    }

    [Fact]
    public async Task SearchAsync_RunsALoneSearchAtOnce()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("a", null, [1, 0]);
        index.Upsert("b", null, [0, 1]);
        await using var batcher = new SearchBatcher(2, index.SearchBatch);

        var hits = await batcher.SearchAsync([0, 1], 1).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("b", Assert.Single(hits).ProductId);
        Assert.Equal(1, batcher.PassesRun);
    }

    [Fact]
    public async Task SearchAsync_FaultsTheSearchesOfAFailingPass()
    {
        await using var batcher = new SearchBatcher(2, (_, _, _) => throw new InvalidOperationException("scan broke"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SearchAsync([1, 0], 1));

        Assert.Equal("scan broke", error.Message);
    }

    [Fact]
    public async Task SearchAsync_Throws_ForAQueryOfTheWrongLength()
    {
        await using var batcher = new SearchBatcher(3, (_, _, _) => []);

        // Thrown on the caller's thread, before anything is queued.
        Assert.Throws<ArgumentException>(() => { _ = batcher.SearchAsync([1, 0], 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = batcher.SearchAsync([1, 0, 0], 0); });
    }

    [Fact]
    public async Task SearchAsync_DropsASearchCancelledWhileQueued()
    {
        var index = new FlatVectorIndex(2, DistanceMetric.Dot);
        index.Upsert("a", null, [1, 0]);
        var gate = new GatedSearch(index.SearchBatch);
        await using var batcher = new SearchBatcher(2, gate.Search);
        var first = batcher.SearchAsync([1, 0], 1);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        using var cancellation = new CancellationTokenSource();
        var cancelled = batcher.SearchAsync([1, 0], 1, cancellationToken: cancellation.Token);
        await cancellation.CancelAsync();
        gate.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, batcher.QueriesAnswered);
    }

    [Fact]
    public async Task SearchAsync_FailsWithObjectDisposed_AfterDisposal()
    {
        var batcher = new SearchBatcher(2, (_, _, _) => []);
        await batcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.SearchAsync([1, 0], 1));
    }

    /// <summary>A batched search whose first pass waits until the test releases it.</summary>
    private sealed class GatedSearch(BatchSearch inner)
    {
        private readonly ManualResetEventSlim _open = new(false);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<IndexHit>[] Search(ReadOnlySpan<float> queries, int k, string? category)
        {
            Entered.TrySetResult();
            if (!_open.Wait(TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException("The test never released the pass.");
            }

            return inner(queries, k, category);
        }

        public void Release() => _open.Set();
    }
}
