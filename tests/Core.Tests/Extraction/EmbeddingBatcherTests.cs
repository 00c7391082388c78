using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Extraction;

[Collection(ResNet18Collection.Name)]
public sealed class EmbeddingBatcherTests(ResNet18Fixture fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly List<SKBitmap> _images = Enumerable.Range(0, 10)
        .Select(i => i % 2 == 0
            ? TestPictures.StripedDress(200 + (10 * i), new SKColor((byte)(40 + (20 * i)), 30, 60))
            : TestPictures.PlainTrousers(200 + (10 * i)))
        .ToList();

    public void Dispose()
    {
        foreach (var image in _images)
        {
            image.Dispose();
        }
    }

    [Fact]
    public async Task EmbedAsync_BatchesRequestsQueuedDuringAModelCall_AndMatchesSequentialVectors()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        await using var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);

        // Hold the first model call so the other nine requests queue up behind it, as they do
        // under load; they are preprocessed on nine threads at once.
        scripted.Hold();
        var first = batcher.EmbedAsync(_images[0], CancellationToken.None);
        scripted.WaitUntilRunning(0);
        var rest = await Task.WhenAll(_images.Skip(1).Select(image =>
            Task.Factory.StartNew(() => batcher.EmbedAsync(image, CancellationToken.None), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default)));
        scripted.Release();
        var vectors = await Task.WhenAll(rest.Prepend(first)).WaitAsync(Timeout);

        Assert.Equal([1, 9], scripted.BatchSizes);
        Assert.Equal(2, batcher.BatchesRun);
        Assert.Equal(9, batcher.LargestBatch);
        Assert.Equal(10, batcher.ImagesEmbedded);
        for (var i = 0; i < _images.Count; i++)
        {
            var sequential = fixture.Embedder.Embed([_images[i]]);
            var maxDifference = sequential.Select((value, k) => Math.Abs(value - vectors[i][k])).Max();
            Assert.True(maxDifference < 1e-4, $"image {i}: max |batched - sequential| = {maxDifference}");
        }
    }

    [Fact]
    public async Task EmbedAsync_RunsALoneRequestAtOnce_WhenNothingElseIsQueued()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        await using var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);

        var vector = await batcher.EmbedAsync(_images[0], CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(fixture.Embedder.Embed([_images[0]]), vector);
        Assert.Equal([1], scripted.BatchSizes);
    }

    [Fact]
    public async Task EmbedAsync_WaitsUpToMaxDelay_ToFillABatch()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        var options = new EmbeddingBatcherOptions { MaxBatchSize = 3, MaxDelay = TimeSpan.FromSeconds(10) };
        await using var batcher = new EmbeddingBatcher(scripted, options, NullLogger<EmbeddingBatcher>.Instance);

        var tasks = _images.Take(3).Select(image => batcher.EmbedAsync(image, CancellationToken.None)).ToList();
        await Task.WhenAll(tasks).WaitAsync(Timeout);

        Assert.Equal([3], scripted.BatchSizes);
    }

    [Fact]
    public async Task EmbedAsync_DropsARequestCancelledWhileQueued()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        await using var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);
        using var cancellation = new CancellationTokenSource();

        scripted.Hold();
        var first = batcher.EmbedAsync(_images[0], CancellationToken.None);
        scripted.WaitUntilRunning(0);
        var cancelled = batcher.EmbedAsync(_images[1], cancellation.Token);
        var kept = batcher.EmbedAsync(_images[2], CancellationToken.None);
        await cancellation.CancelAsync();
        scripted.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout));
        Assert.Equal(512, (await kept.WaitAsync(Timeout)).Length);
        Assert.Equal(512, (await first.WaitAsync(Timeout)).Length);
        Assert.Equal([1, 1], scripted.BatchSizes);
    }

    [Fact]
    public async Task EmbedAsync_ReturnsACancelledTask_WhenTheTokenIsAlreadyCancelled()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        await using var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);

        var task = batcher.EmbedAsync(_images[0], new CancellationToken(canceled: true));

        Assert.True(task.IsCanceled);
        Assert.Empty(scripted.BatchSizes);
    }

    [Fact]
    public async Task EmbedAsync_FaultsExactlyTheRequestsOfAFailedModelCall()
    {
        var failure = new InvalidOperationException("model call failed on purpose");
        var scripted = new ScriptedEmbedder(fixture.Embedder) { FailCall = index => index == 1 ? failure : null };
        await using var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);

        scripted.Hold();
        var before = batcher.EmbedAsync(_images[0], CancellationToken.None);
        scripted.WaitUntilRunning(0);
        var failed = new[] { batcher.EmbedAsync(_images[1], CancellationToken.None), batcher.EmbedAsync(_images[2], CancellationToken.None) };
        scripted.Release();
        foreach (var task in failed)
        {
            Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => task.WaitAsync(Timeout)));
        }

        var after = await batcher.EmbedAsync(_images[3], CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(512, (await before.WaitAsync(Timeout)).Length);
        Assert.Equal(512, after.Length);
        Assert.Equal([1, 2, 1], scripted.BatchSizes);
        Assert.Equal(3, batcher.BatchesRun);
        Assert.Equal(2, batcher.ImagesEmbedded);
    }

    [Fact]
    public async Task DisposeAsync_FinishesTheRunningBatchAndFailsQueuedRequests()
    {
        var scripted = new ScriptedEmbedder(fixture.Embedder);
        var batcher = new EmbeddingBatcher(scripted, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);

        scripted.Hold();
        var running = batcher.EmbedAsync(_images[0], CancellationToken.None);
        scripted.WaitUntilRunning(0);
        var queued = new[] { batcher.EmbedAsync(_images[1], CancellationToken.None), batcher.EmbedAsync(_images[2], CancellationToken.None) };
        var disposing = batcher.DisposeAsync().AsTask();
        scripted.Release();
        await disposing.WaitAsync(Timeout);

        Assert.Equal(512, (await running.WaitAsync(Timeout)).Length);
        foreach (var task in queued)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => task.WaitAsync(Timeout));
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.EmbedAsync(_images[3], CancellationToken.None));
        Assert.Equal([1], scripted.BatchSizes);
        Assert.True(scripted.IsDisposed);
    }

    [Fact]
    public void Constructor_ThrowsNamingTheOption_WhenMaxBatchSizeIsZero()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            new EmbeddingBatcher(new ScriptedEmbedder(fixture.Embedder), new EmbeddingBatcherOptions { MaxBatchSize = 0 }, NullLogger<EmbeddingBatcher>.Instance));

        Assert.Contains("MaxBatchSize must be 1 or more", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Wraps the shared real embedder (without owning it) to record model calls, hold one until the
/// test releases it, or fail chosen calls.
/// </summary>
internal sealed class ScriptedEmbedder(IImageEmbedder inner) : IImageEmbedder
{
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly List<int> _batchSizes = [];
    private readonly List<ManualResetEventSlim> _started = [.. Enumerable.Range(0, 8).Select(_ => new ManualResetEventSlim())];

    /// <summary>Exception to throw from the model call with the given index, if any.</summary>
    public Func<int, Exception?>? FailCall { get; init; }

    public bool IsDisposed { get; private set; }

    public IReadOnlyList<int> BatchSizes
    {
        get
        {
            lock (_batchSizes)
            {
                return [.. _batchSizes];
            }
        }
    }

    public string Model => inner.Model;

    public int Dimension => inner.Dimension;

    public string ExecutionProvider => inner.ExecutionProvider;

    public int InputLength => inner.InputLength;

    public void Hold() => _open.Reset();

    public void Release() => _open.Set();

    public void WaitUntilRunning(int callIndex)
    {
        if (!_started[callIndex].Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"Model call {callIndex} did not start.");
        }
    }

    public void Preprocess(SKBitmap image, Span<float> destination) => inner.Preprocess(image, destination);

    public float[] Run(ReadOnlyMemory<float> inputs)
    {
        int index;
        lock (_batchSizes)
        {
            index = _batchSizes.Count;
            _batchSizes.Add(inputs.Length / InputLength);
        }

        _started[index].Set();
        if (!_open.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("The test never released the held model call.");
        }

        return FailCall?.Invoke(index) is { } failure ? throw failure : inner.Run(inputs);
    }

    public float[] Embed(IReadOnlyList<SKBitmap> images) => inner.Embed(images);

    public void Dispose() => IsDisposed = true;
}
