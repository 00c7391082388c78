using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>A shard store's snapshot and log generations: what a restart recovers, whatever step a crash interrupts.</summary>
public sealed class ShardStoreTests : IDisposable
{
    private const string Folder = "catalogs/shoes/shards/3";
    private const int Dimension = 256;

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public ShardStoreTests() => _store = new LocalFolderBlobStore(_folder.Path);

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

        /// <summary>The state as it is now, unaffected by later writes: what compaction copies under the owner's turn.</summary>
        public State Copy()
        {
            var copy = new State();
            foreach (var (id, product) in Products)
            {
                copy.Products[id] = product;
            }

            return copy;
        }

        public ShardSnapshotHeader Header(long replayFrom) =>
            new(Dimension, DistanceMetric.Cosine, replayFrom, Products.Count, Products.Values.Sum(p => (long)p.Product.ImageCount));

        public IEnumerable<SnapshotRow> Rows() => Products.Values.Select(p => new SnapshotRow(p.Product, p.Vectors));

        public IReadOnlyList<SnapshotProduct> List() => [.. Products.Values.Select(p => p.Product)];

        public ReadOnlyMemory<float> VectorsOf(SnapshotProduct product) => Products[product.ProductId].Vectors;

        public string Describe() => string.Join(';', Products.Values.Select(p =>
            $"{p.Product}:{string.Join(',', p.Vectors.Select(BitConverter.SingleToInt32Bits))}"));
    }

    /// <summary>Opens the store, rebuilding the state from the snapshot's products and the records after it.</summary>
    private static async Task<(State State, ShardRecovery Recovery)> OpenAsync(ShardStore store)
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

    /// <summary>Starts a new generation and writes a snapshot of <paramref name="state"/> as the owner does: products listed, vectors fetched as written.</summary>
    private static async Task<long> CompactAsync(ShardStore store, State state, Stream? graph = null)
    {
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        return await store.WriteSnapshotAsync(state.Header(replayFrom), state.List(), state.VectorsOf, graph, CancellationToken.None);
    }

    /// <summary>Appends enough products that the snapshot crosses the codec's 1 MiB buffer several times.</summary>
    private static async Task AppendAsync(ShardStore store, State expected, int first, int count)
    {
        var records = Enumerable.Range(first, count).Select(i => (ShardLogRecord)Upsert($"p{i:D4}", 1 + i % 3, seed: i)).ToList();
        await store.AppendAsync(records, CancellationToken.None);
        records.ForEach(expected.Apply);
    }

    /// <summary>
    /// Builds, with the real store, what a compaction leaves on storage when the process dies
    /// after <paramref name="completedSteps"/> of its steps (see <see cref="ShardStore"/>):
    /// 0 none; 1 new generation started and written to; 2 snapshot written but covered logs kept
    /// (also what a crash mid-write of the next snapshot leaves); 3 covered logs deleted.
    /// The shard has compacted once before, so an older snapshot and its logs are in play.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task OpenAsync_RecoversEveryAcknowledgedWrite_WhenCompactionStopsAfterAnyStep(int completedSteps)
    {
        var store = Store();
        var (expected, _) = await OpenAsync(store);
        async Task WriteAsync(ShardLogRecord record)
        {
            await store.AppendAsync([record], CancellationToken.None);
            expected.Apply(record);
        }

        await WriteAsync(Upsert("a", 1, seed: 1));
        await WriteAsync(Upsert("b", 2, seed: 2));
        await WriteAsync(new ProductDeleted("a"));
        await CompactAsync(store, expected);
        await WriteAsync(Upsert("c", 1, seed: 3));
        await WriteAsync(Upsert("b", 1, seed: 4));

        if (completedSteps >= 1)
        {
            var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
            var copy = expected.Copy();
            await WriteAsync(new ProductDeleted("c"));
            await WriteAsync(Upsert("d", 3, seed: 5));
            if (completedSteps == 2)
            {
                await _store.WriteAsync(store.SnapshotPath, (stream, token) =>
                    ShardSnapshotCodec.WriteAsync(stream, copy.Header(replayFrom), copy.Rows(), token), CancellationToken.None);
            }
            else if (completedSteps == 3)
            {
                await store.WriteSnapshotAsync(copy.Header(replayFrom), copy.List(), copy.VectorsOf, graphPayload: null, CancellationToken.None);
            }
        }

        var reopened = Store();
        var (recovered, recovery) = await OpenAsync(reopened);
        await reopened.AppendAsync([Upsert("e", 1, seed: 6)], CancellationToken.None);
        var (again, _) = await OpenAsync(Store());

        Assert.Equal(expected.Describe(), recovered.Describe());
        Assert.DoesNotContain("a", recovered.Products.Keys);
        Assert.Equal([.. expected.Products.Keys, "e"], again.Products.Keys);
        var coveredFrom = completedSteps >= 2 ? 2 : 1;
        Assert.Equal(coveredFrom, recovery.SnapshotHeader!.Value.ReplayFromGeneration);
        for (var generation = 0; generation < coveredFrom; generation++)
        {
            Assert.Null(await _store.ReadAsync(store.LogPath(generation), CancellationToken.None));
        }
    }

    [Fact]
    public async Task OpenAsync_RecoversTheSnapshotAndLaterRecords_OverSeveralGenerations()
    {
        var store = Store();
        var (opened, empty) = await OpenAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 1_500);
        var written = await CompactAsync(store, expected);
        await AppendAsync(store, expected, first: 1_400, count: 300);
        var deleted = new ProductDeleted("p0003");
        await store.AppendAsync([deleted], CancellationToken.None);
        expected.Apply(deleted);
        await CompactAsync(store, expected);
        await AppendAsync(store, expected, first: 1_700, count: 5);

        var (recovered, recovery) = await OpenAsync(Store());

        Assert.Null(empty.SnapshotHeader);
        Assert.Empty(opened.Products);
        Assert.True(written > 2 * 1024 * 1024, $"the first snapshot is only {written} bytes");
        Assert.Equal(expected.Describe(), recovered.Describe());
        Assert.Equal(2, recovery.SnapshotHeader!.Value.ReplayFromGeneration);
        Assert.Equal(expected.Products.Count - 5, recovery.SnapshotHeader.Value.ProductCount);
        Assert.Equal(5, recovery.Records.Count);
        Assert.Null(await _store.ReadAsync(store.LogPath(0), CancellationToken.None));
        Assert.Null(await _store.ReadAsync(store.LogPath(1), CancellationToken.None));
    }

    [Fact]
    public async Task OpenAsync_ReadsLogsWrittenBeforeSnapshotsExisted()
    {
        var legacy = new ShardLog(_store, $"{Folder}/log", NullLogger.Instance);
        await legacy.LoadAsync(CancellationToken.None);
        await legacy.AppendAsync(Upsert("old", 1, seed: 9), CancellationToken.None);

        var (recovered, recovery) = await OpenAsync(Store());

        Assert.Null(recovery.SnapshotHeader);
        Assert.Equal(["old"], recovered.Products.Keys);
    }

    [Fact]
    public async Task ReadNewRecordsAsync_SaysTheFollowerIsLost_WhenTwoCompactionsDeletedTheGenerationItWaitedOn()
    {
        // A follower idle at the writer's generation, not yet written; the writer then appends and compacts twice
        // before the follower reads again: that generation and the next are written, covered and deleted, and the
        // newest has no record yet. The follower must learn it lost its place, not wait on a generation that is gone.
        var writer = Store();
        var (state, _) = await OpenAsync(writer);
        var follower = Store();
        await follower.OpenForFollowingAsync((_, _) => { }, CancellationToken.None);
        Assert.Empty((await follower.ReadNewRecordsAsync(CancellationToken.None)).Records);

        for (var round = 0; round < 2; round++)
        {
            var record = Upsert($"p{round}", 1, seed: round);
            await writer.AppendAsync([record], CancellationToken.None);
            state.Apply(record);
            await CompactAsync(writer, state.Copy());
        }

        await Assert.ThrowsAsync<ShardFollowLostException>(() => follower.ReadNewRecordsAsync(CancellationToken.None));

        // Opened again, it holds both products from the snapshot and waits on the newest generation as it should.
        var products = new List<string>();
        var fresh = Store();
        await fresh.OpenForFollowingAsync((product, _) => products.Add(product.ProductId), CancellationToken.None);
        Assert.Equal(["p0", "p1"], products);
        Assert.Empty((await fresh.ReadNewRecordsAsync(CancellationToken.None)).Records);
    }

    [Fact]
    public async Task WriteSnapshotAsync_WritesTheCodecsBytes_FromAProductListWithVectorsFetchedAsWritten()
    {
        var store = Store();
        await OpenAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 50);
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        var fetched = new List<string>();

        var written = await store.WriteSnapshotAsync(expected.Header(replayFrom), expected.List(), product =>
        {
            fetched.Add(product.ProductId);
            return expected.VectorsOf(product);
        }, graphPayload: null, CancellationToken.None);

        using var reference = new MemoryStream();
        await ShardSnapshotCodec.WriteAsync(reference, expected.Header(replayFrom), expected.Rows(), CancellationToken.None);
        var bytes = await _store.ReadAsync(store.SnapshotPath, CancellationToken.None);
        Assert.Equal(reference.ToArray(), bytes);
        Assert.Equal(bytes!.Length, written);
        Assert.Equal(expected.Products.Keys, fetched);
    }

    public static TheoryData<string> Mismatches => new() { "product count", "image count", "dimension", "rows changing", "fetched vectors" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task WriteSnapshotAsync_LeavesTheOldSnapshotGraphAndLogs_WhenRowsDoNotMatchTheHeader(string mismatch)
    {
        var store = Store();
        await OpenAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 600);
        using (var payload = new MemoryStream([1, 2, 3]))
        {
            await CompactAsync(store, expected, payload);
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
            case "rows changing":
                var passes = 0;
                rows = new Reenumerable(() => passes++ == 0 ? expected.Rows() : expected.Rows().Reverse());
                break;
        }

        using var newGraph = new MemoryStream([4, 5, 6]);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => mismatch == "fetched vectors"
            ? store.WriteSnapshotAsync(header, expected.List(), product => expected.VectorsOf(product)[1..], newGraph, CancellationToken.None)
            : store.WriteSnapshotAsync(header, rows, newGraph, CancellationToken.None));

        Assert.True(error is ArgumentException or InvalidOperationException, $"threw {error.GetType().Name}");
        Assert.Equal(snapshotBefore, await _store.ReadAsync(store.SnapshotPath, CancellationToken.None));
        Assert.Equal(graphBefore, await _store.ReadAsync(store.GraphPath, CancellationToken.None));
        Assert.NotNull(await _store.ReadAsync(store.LogPath(1), CancellationToken.None));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_folder.Path, Folder.Replace('/', Path.DirectorySeparatorChar))),
            file => file.EndsWith(LocalFolderBlobStore.TemporarySuffix, StringComparison.Ordinal));
        var (recovered, _) = await OpenAsync(Store());
        Assert.Equal(expected.Describe(), recovered.Describe());
    }

    [Fact]
    public async Task OpenAsync_RefusesADamagedSnapshot_NamingIt()
    {
        var store = Store();
        await OpenAsync(store);
        var expected = new State();
        await AppendAsync(store, expected, first: 0, count: 10);
        await CompactAsync(store, expected);
        var bytes = (await _store.ReadAsync(store.SnapshotPath, CancellationToken.None))!;
        bytes[^20] ^= 1;
        await _store.WriteAsync(store.SnapshotPath, bytes, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync(Store()));

        Assert.Contains(store.SnapshotPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
    }

    private sealed class Reenumerable(Func<IEnumerable<SnapshotRow>> enumerate) : IEnumerable<SnapshotRow>
    {
        public IEnumerator<SnapshotRow> GetEnumerator() => enumerate().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
