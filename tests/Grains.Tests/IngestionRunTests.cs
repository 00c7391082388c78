using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Storage;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Extraction;
using OutfitFinder.Grains.Ingestion;

namespace OutfitFinder.Grains.Tests;

/// <summary>An ingestion run against a scripted cluster: backpressure, batching and failing steps.</summary>
public sealed class IngestionRunTests : IDisposable
{
    private const int Dimension = 4;
    private readonly string _sourceFolder = Directory.CreateTempSubdirectory("outfit-run-source-").FullName;
    private readonly string _storeFolder = Directory.CreateTempSubdirectory("outfit-run-store-").FullName;

    public void Dispose()
    {
        Directory.Delete(_sourceFolder, recursive: true);
        Directory.Delete(_storeFolder, recursive: true);
    }

    [Fact]
    public async Task SlowExtractor_SlowsTheReader_InsteadOfFillingMemory()
    {
        const int rows = 5000;
        WriteManifest(rows);
        var target = new ScriptedTarget { Gate = new TaskCompletionSource() };
        var options = new IngestionOptions { BatchImages = 8, BatchesInFlight = 2, ReadAheadProducts = 16, CheckpointInterval = TimeSpan.FromMilliseconds(50) };
        var run = CreateRun(target, options, out var checkpoint);

        var running = Task.Run(run.RunAsync);
        await WaitUntilAsync(() => target.EmbedCalls >= options.BatchesInFlight);
        await Task.Delay(300);
        var readWhileBlocked = run.RowsRead;
        target.Gate.SetResult();
        await running;

        // Queue + batches in flight + the batch being filled, and nothing like the manifest's 5,000 rows.
        var bound = options.ReadAheadProducts + (options.BatchesInFlight + 1) * options.BatchImages + 1;
        Assert.InRange(readWhileBlocked, 1, bound);
        Assert.Equal(IngestionState.Succeeded, checkpoint.State);
        // Row numbers count the CSV header as row 1.
        Assert.Equal((rows, rows + 1), (checkpoint.Succeeded, checkpoint.RowsDone));
        Assert.Equal(rows, target.Upserted.Count);
        Assert.All(target.EmbedBatchSizes, size => Assert.InRange(size, 1, options.BatchImages));
    }

    [Fact]
    public async Task ExtractorThatKeepsFailing_FailsTheJob_NamingTheStep_AndKeepsEarlierProgress()
    {
        WriteManifest(40);
        var target = new ScriptedTarget { FailEmbedAfterCalls = 2 };
        var options = new IngestionOptions { BatchImages = 10, BatchesInFlight = 1, CheckpointInterval = TimeSpan.FromMilliseconds(1) };
        var run = CreateRun(target, options, out var checkpoint);

        await run.RunAsync();

        Assert.Equal(IngestionState.Failed, checkpoint.State);
        Assert.Contains("embedding a batch", checkpoint.Error);
        Assert.Contains("model unavailable", checkpoint.Error);
        Assert.Equal((20, 21), (checkpoint.Succeeded, checkpoint.RowsDone));
        var saved = await IngestionCheckpoint.ReadAsync(new LocalFolderBlobStore(_storeFolder), IngestionPaths.Job("shop", "job"), CancellationToken.None);
        Assert.Equal(IngestionState.Failed, saved!.State);
        Assert.Equal(21, saved.RowsDone);
    }

    [Fact]
    public async Task VectorsColumn_StoresTheGivenVectors_WithoutEmbedding_AndFailsRowsOfTheWrongDimension()
    {
        File.WriteAllLines(Path.Combine(_sourceFolder, "manifest.csv"),
            ["product_id,vector,price", "a,1 2 3 4,10", "a,\"5,6,7,8\",10", "b,1 2 3,5", "c,0.5 0.5 0.5 0.5,7"]);
        var target = new ScriptedTarget();
        var run = CreateRun(target, new IngestionOptions { CheckpointInterval = TimeSpan.FromMilliseconds(1) }, out var checkpoint);

        await run.RunAsync();

        Assert.Equal(IngestionState.CompletedWithErrors, checkpoint.State);
        Assert.Equal(0, target.EmbedCalls);
        Assert.Equal(["a", "c"], target.Products.Keys.Order(StringComparer.Ordinal));
        var a = target.Products["a"];
        Assert.Equal((2, "{\"price\":10}"), (a.ImageCount, a.MetadataJson));
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], PackedVectors.Unpack(a.Vectors));
        Assert.Contains("has 3 values; catalog 'shop' uses dimension 4", Assert.Single(checkpoint.Failures).Reason);
    }

    [Fact]
    public async Task VectorFileColumn_StoresVectorsReadFromFiles_AndFailsEachBadFileRow_WithItsReason()
    {
        Directory.CreateDirectory(Path.Combine(_sourceFolder, "vectors"));
        WriteFloats("vectors/a.f32", 1, 2, 3, 4);
        WriteFloats("vectors/all.bin", 10, 11, 12, 13, 20, 21, 22, 23);
        WriteFloats("vectors/short.f32", 1, 2, 3);
        WriteFloats("vectors/nan.f32", 1, float.NaN, 3, 4);
        File.WriteAllBytes(Path.Combine(_sourceFolder, "vectors/m.npy"), TestSupport.VectorFiles.Npy([2, 4], [5, 6, 7, 8, 9, 10, 11, 12]));
        File.WriteAllLines(Path.Combine(_sourceFolder, "manifest.csv"),
        [
            "product_id,vector_file,vector_row,price",
            "a,vectors/a.f32,,10",
            "b,vectors/all.bin,1,20",
            "b,vectors/all.bin,0,20",
            "c,vectors/m.npy,1,30",
            "d,vectors/short.f32,,40",
            "e,vectors/missing.f32,,50",
            "f,vectors/nan.f32,,60",
            "g,vectors/m.npy,2,70",
        ]);
        var target = new ScriptedTarget();
        var run = CreateRun(target, new IngestionOptions { CheckpointInterval = TimeSpan.FromMilliseconds(1) }, out var checkpoint);

        await run.RunAsync();

        Assert.Equal(IngestionState.CompletedWithErrors, checkpoint.State);
        Assert.Equal((0, 4L, 4L), (target.EmbedCalls, checkpoint.Succeeded, checkpoint.Failed));
        Assert.Equal([1f, 2, 3, 4], PackedVectors.Unpack(target.Products["a"].Vectors));
        Assert.Equal((2, "{\"price\":20}"), (target.Products["b"].ImageCount, target.Products["b"].MetadataJson));
        Assert.Equal([20f, 21, 22, 23, 10, 11, 12, 13], PackedVectors.Unpack(target.Products["b"].Vectors));
        Assert.Equal([9f, 10, 11, 12], PackedVectors.Unpack(target.Products["c"].Vectors));
        var reasons = checkpoint.Failures.ToDictionary(failure => failure.ProductId!, failure => failure.Reason);
        Assert.Equal(["d", "e", "f", "g"], reasons.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("'vectors/short.f32' is 12 bytes, not a whole number of 4-value float32 vectors", reasons["d"]);
        Assert.Contains("vector file 'vectors/missing.f32' not found in source 'local'", reasons["e"]);
        Assert.Contains("value 1 is NaN, not a finite number", reasons["f"]);
        Assert.Contains("'vector_row' is 2; vector file 'vectors/m.npy' holds rows 0 to 1", reasons["g"]);
        Assert.Equal("vectors/short.f32", checkpoint.Failures.Single(failure => failure.ProductId == "d").Image);
    }

    private void WriteFloats(string path, params float[] values) =>
        File.WriteAllBytes(Path.Combine(_sourceFolder, path), TestSupport.VectorFiles.Raw(values));

    private IngestionRun CreateRun(ScriptedTarget target, IngestionOptions options, out IngestionCheckpoint checkpoint)
    {
        checkpoint = new IngestionCheckpoint { Id = "job", Catalog = "shop", Source = "local", Manifest = "manifest.csv", CreatedAt = DateTimeOffset.UtcNow };
        return new IngestionRun(checkpoint, new CatalogDefinition("shop", "fake", "cosine", Dimension, 3),
            new LocalFolderBlobStore(_sourceFolder), new LocalFolderBlobStore(_storeFolder), target, options, NullLogger.Instance);
    }

    private void WriteManifest(int rows)
    {
        File.WriteAllBytes(Path.Combine(_sourceFolder, "image.jpg"), [1, 2, 3]);
        File.WriteAllLines(Path.Combine(_sourceFolder, "manifest.csv"),
            ["product_id,image", .. Enumerable.Range(0, rows).Select(i => $"p{i},image.jpg")]);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    private sealed class ScriptedTarget : IIngestionTarget
    {
        private int _embedCalls;

        public TaskCompletionSource? Gate { get; init; }

        public int? FailEmbedAfterCalls { get; init; }

        public int EmbedCalls => Volatile.Read(ref _embedCalls);

        public ConcurrentBag<int> EmbedBatchSizes { get; } = [];

        public ConcurrentDictionary<string, int> Upserted { get; } = new();

        public ConcurrentDictionary<string, ProductUpsert> Products { get; } = new();

        public async Task<EmbedResult> EmbedAsync(string model, byte[][] images, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _embedCalls);
            if (call > FailEmbedAfterCalls)
            {
                throw new InvalidOperationException("model unavailable");
            }

            EmbedBatchSizes.Add(images.Length);
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            var vectors = Enumerable.Range(0, images.Length * Dimension).Select(i => (float)(i % Dimension) + 1).ToArray();
            return new EmbedResult(Dimension, PackedVectors.Pack(vectors), [], "CPU");
        }

        public Task SaveImagesAsync(string catalog, string productId, IReadOnlyList<byte[]> images, CancellationToken cancellationToken) =>
            Task.CompletedTask;

        public Task UpsertAsync(string catalog, int shard, ProductUpsert[] products, CancellationToken cancellationToken)
        {
            foreach (var product in products)
            {
                Upserted[product.ProductId] = shard;
                Products[product.ProductId] = product;
            }

            return Task.CompletedTask;
        }
    }
}
