using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Storage;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>A shard store that writes and opens its snapshot and graph as streams.</summary>
public sealed class ShardStoreStreamingTests : IDisposable
{
    private const string Folder = "catalogs/shoes/shards/3";
    private const int Dimension = 256;

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public ShardStoreStreamingTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private ShardStore Store() => new(_store, Folder, NullLogger.Instance);

    private static float[] Vectors(int images, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, images * Dimension).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static ProductUpserted Upsert(string id, int images, int seed) =>
        new(id, "Shoe", $$"""{"id":"{{id}}"}""", images, Vectors(images, seed));

    /// <summary>The shard as the caller keeps it: id → product and vectors, in id order.</summary>
    private sealed class State
    {
        public SortedDictionary<string, (SnapshotProduct Product, float[] Vectors)> Products { get; } = new(StringComparer.Ordinal);

        public void Apply(ShardLogRecord record)
        {
            if (record is ProductUpserted upsert)
            {
                Products[upsert.ProductId] = (new SnapshotProduct(upsert.ProductId, upsert.Category, upsert.MetadataJson, upsert.ImageCount), upsert.Vectors.ToArray());
            }
            else
            {
                Products.Remove(record.ProductId);
            }
        }

        public ShardSnapshotHeader Header(long replayFrom) =>
            new(Dimension, DistanceMetric.Cosine, replayFrom, Products.Count, Products.Values.Sum(p => (long)p.Product.ImageCount));

        public IEnumerable<SnapshotRow> Rows() => Products.Values.Select(p => new SnapshotRow(p.Product, p.Vectors));

        public string Describe() => string.Join(';', Products.Values.Select(p =>
            $"{p.Product}:{string.Join(',', p.Vectors.Select(BitConverter.SingleToInt32Bits))}"));
    }

    /// <summary>Opens streamed, rebuilding the state from the snapshot's products and the records after it.</summary>
    private static async Task<(State State, ShardRecovery Recovery)> OpenStreamedAsync(ShardStore store)
    {
        var state = new State();
        var recovery = await store.OpenAsync((product, vectors) =>
            state.Products[product.ProductId] = (product, vectors.ToArray()), CancellationToken.None);
        foreach (var record in recovery.Records)
        {
            state.Apply(record);
        }

        return (state, recovery);
    }

    /// <summary>Appends enough products that the snapshot crosses the codec's 1 MiB buffer several times.</summary>
    private static async Task AppendAsync(ShardStore store, State expected, int first, int count)
    {
        var records = Enumerable.Range(first, count).Select(i => (ShardLogRecord)Upsert($"p{i:D4}", 1 + i % 3, seed: i)).ToList();
        await store.AppendAsync(records, CancellationToken.None);
        records.ForEach(expected.Apply);
    }

    [Fact]
    public async Task OpenAsync_RecoversTheStreamedSnapshotAndLaterRecords_OverSeveralGenerations()
    {
        var store = Store();
        var (opened, empty) = await OpenStreamedAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 1_500);
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        var written = await store.WriteSnapshotAsync(expected.Header(replayFrom), expected.Rows(), graphPayload: null, CancellationToken.None);
        await AppendAsync(store, expected, first: 1_400, count: 300);
        var deleted = new ProductDeleted("p0003");
        await store.AppendAsync([deleted], CancellationToken.None);
        expected.Apply(deleted);
        replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        await store.WriteSnapshotAsync(expected.Header(replayFrom), expected.Rows(), graphPayload: null, CancellationToken.None);
        await AppendAsync(store, expected, first: 1_700, count: 5);

        var (recovered, recovery) = await OpenStreamedAsync(Store());
        var materialised = await Store().OpenAsync(CancellationToken.None);

        Assert.Null(empty.SnapshotHeader);
        Assert.Empty(opened.Products);
        Assert.True(written > 2 * 1024 * 1024, $"the first snapshot is only {written} bytes");
        Assert.Equal(expected.Describe(), recovered.Describe());
        Assert.Equal(2, recovery.SnapshotHeader!.Value.ReplayFromGeneration);
        Assert.Null(recovery.Snapshot);
        Assert.Equal(5, recovery.Records.Count);
        Assert.Equal(recovery.SnapshotHeader, materialised.SnapshotHeader);
        Assert.Equal(recovery.SnapshotHeader.Value.ProductCount, materialised.Snapshot!.Products.Count);
        Assert.Null(await _store.ReadAsync(store.LogPath(0), CancellationToken.None));
        Assert.Null(await _store.ReadAsync(store.LogPath(1), CancellationToken.None));
    }

    [Fact]
    public async Task WriteSnapshotAsync_WritesTheBytesOfTheWholeBufferForm()
    {
        var store = Store();
        await OpenStreamedAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 50);
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        var snapshot = new ShardSnapshot(Dimension, DistanceMetric.Cosine, replayFrom,
            [.. expected.Products.Values.Select(p => p.Product)], [.. expected.Products.Values.SelectMany(p => p.Vectors)]);

        var written = await store.WriteSnapshotAsync(expected.Header(replayFrom), expected.Rows(), graphPayload: null, CancellationToken.None);

        var bytes = await _store.ReadAsync(store.SnapshotPath, CancellationToken.None);
        Assert.Equal(ShardSnapshotCodec.Encode(snapshot), bytes);
        Assert.Equal(bytes!.Length, written);
    }

    [Fact]
    public async Task ReadGraphAsync_ReturnsTheStreamedGraph_AndRefusesItAfterALaterSnapshot()
    {
        var store = Store();
        await OpenStreamedAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 20);
        var graph = new byte[1_500_000];
        new Random(1).NextBytes(graph);
        using (var payload = new MemoryStream([0, 0, 0, .. graph]) { Position = 3 })
        {
            var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
            await store.WriteSnapshotAsync(expected.Header(replayFrom), expected.Rows(), payload, CancellationToken.None);
        }

        var reopened = Store();
        await OpenStreamedAsync(reopened);
        var (bound, boundRefused) = await reopened.ReadGraphAsync(CancellationToken.None);
        var olderGraph = (await _store.ReadAsync(store.GraphPath, CancellationToken.None))!;
        await AppendAsync(reopened, expected, first: 20, count: 1);
        await reopened.WriteSnapshotAsync(expected.Header(await reopened.StartNewGenerationAsync(CancellationToken.None)),
            expected.Rows(), graphPayload: null, CancellationToken.None);
        var graphAfterLaterSnapshot = await _store.ReadAsync(store.GraphPath, CancellationToken.None);
        await _store.WriteAsync(store.GraphPath, olderGraph, CancellationToken.None);
        var later = Store();
        await OpenStreamedAsync(later);
        var (stale, staleRefused) = await later.ReadGraphAsync(CancellationToken.None);

        Assert.Null(boundRefused);
        Assert.True(graph.AsSpan().SequenceEqual(bound!.Value), "the graph read back differs from the one written");
        Assert.Null(graphAfterLaterSnapshot);
        Assert.Null(stale);
        Assert.Contains("belongs to the snapshot of generation 1", staleRefused, StringComparison.Ordinal);
    }

    public static TheoryData<string> Mismatches => new() { "product count", "image count", "dimension", "rows changing" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task WriteSnapshotAsync_LeavesTheOldSnapshotGraphAndLogs_WhenRowsDoNotMatchTheHeader(string mismatch)
    {
        var store = Store();
        await OpenStreamedAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 600);
        using (var payload = new MemoryStream([1, 2, 3]))
        {
            await store.WriteSnapshotAsync(expected.Header(await store.StartNewGenerationAsync(CancellationToken.None)),
                expected.Rows(), payload, CancellationToken.None);
        }

        var snapshotBefore = await _store.ReadAsync(store.SnapshotPath, CancellationToken.None);
        var graphBefore = await _store.ReadAsync(store.GraphPath, CancellationToken.None);
        await AppendAsync(store, expected, first: 600, count: 600);
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        var header = expected.Header(replayFrom);
        var rows = expected.Rows();
        switch (mismatch)
        {
            case "product count": header = header with { ProductCount = header.ProductCount + 1 }; break;
            case "image count": header = header with { ImageCount = header.ImageCount - 1 }; break;
            case "dimension": header = header with { Dimension = Dimension - 1 }; break;
            default:
                var passes = 0;
                rows = new Reenumerable(() => passes++ == 0 ? expected.Rows() : expected.Rows().Reverse());
                break;
        }

        using var newGraph = new MemoryStream([4, 5, 6]);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.WriteSnapshotAsync(header, rows, newGraph, CancellationToken.None));

        Assert.True(error is ArgumentException or InvalidOperationException, $"threw {error.GetType().Name}");
        Assert.Equal(snapshotBefore, await _store.ReadAsync(store.SnapshotPath, CancellationToken.None));
        Assert.Equal(graphBefore, await _store.ReadAsync(store.GraphPath, CancellationToken.None));
        Assert.NotNull(await _store.ReadAsync(store.LogPath(1), CancellationToken.None));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_folder.Path, Folder.Replace('/', Path.DirectorySeparatorChar))),
            file => file.EndsWith(LocalFolderBlobStore.TemporarySuffix, StringComparison.Ordinal));
        var (recovered, _) = await OpenStreamedAsync(Store());
        Assert.Equal(expected.Describe(), recovered.Describe());
    }

    [Fact]
    public async Task OpenAsync_RefusesADamagedSnapshot_NamingIt()
    {
        var store = Store();
        await OpenStreamedAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 10);
        await store.WriteSnapshotAsync(expected.Header(await store.StartNewGenerationAsync(CancellationToken.None)),
            expected.Rows(), graphPayload: null, CancellationToken.None);
        var bytes = (await _store.ReadAsync(store.SnapshotPath, CancellationToken.None))!;
        bytes[^20] ^= 1;
        await _store.WriteAsync(store.SnapshotPath, bytes, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => OpenStreamedAsync(Store()));

        Assert.Contains(store.SnapshotPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    private sealed class Reenumerable(Func<IEnumerable<SnapshotRow>> enumerate) : IEnumerable<SnapshotRow>
    {
        public IEnumerator<SnapshotRow> GetEnumerator() => enumerate().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
