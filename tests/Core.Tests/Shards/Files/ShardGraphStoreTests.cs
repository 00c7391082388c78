using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>The graph blob saved next to a shard's snapshot is read back only over that snapshot.</summary>
public sealed class ShardGraphStoreTests : IDisposable
{
    private const string Folder = "catalogs/shoes/shards/0";

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _store;

    public ShardGraphStoreTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    private ShardStore Open() => new(_store, Folder, NullLogger.Instance);

    private static byte[] Payload(int seed)
    {
        var bytes = new byte[1000];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Task<ShardRecovery> OpenAsync(ShardStore store) => store.OpenAsync((_, _) => { }, CancellationToken.None);

    /// <summary>
    /// Compacts a store holding <paramref name="products"/> one-image products, saving the rest of
    /// <paramref name="graph"/> (from its position) with the snapshot.
    /// </summary>
    private static async Task CompactFromStreamAsync(ShardStore store, int products, Stream? graph)
    {
        await store.AppendAsync([new ProductUpserted($"p{products}", null, null, 1, [products, 1])], CancellationToken.None);
        var replayFrom = await store.StartNewGenerationAsync(CancellationToken.None);
        var rows = Enumerable.Range(1, products).Select(i => new SnapshotProduct($"p{i}", null, null, 1)).ToArray();
        await store.WriteSnapshotAsync(new ShardSnapshotHeader(2, DistanceMetric.L2, replayFrom, products, products), rows,
            product => new float[] { int.Parse(product.ProductId[1..], CultureInfo.InvariantCulture), 1 }, graph, CancellationToken.None);
    }

    private static async Task CompactAsync(ShardStore store, int products, byte[]? graph)
    {
        using var payload = graph is null ? null : new MemoryStream(graph, writable: false);
        await CompactFromStreamAsync(store, products, payload);
    }

    /// <summary>Opens a fresh store over the folder and reads its graph: the payload only when every byte checked out.</summary>
    private async Task<(byte[]? Payload, string? Refused)> ReopenAndReadGraphAsync()
    {
        var store = Open();
        await OpenAsync(store);
        using var payload = new MemoryStream();
        var (found, refused) = await store.ReadGraphAsync(payload, CancellationToken.None);
        return (found ? payload.ToArray() : null, refused);
    }

    [Fact]
    public async Task ReadGraphAsync_ReturnsTheGraphSavedWithTheSnapshot()
    {
        var store = Open();
        await OpenAsync(store);
        await CompactAsync(store, products: 1, Payload(1));

        var (payload, refused) = await ReopenAndReadGraphAsync();

        Assert.Null(refused);
        Assert.Equal(Payload(1), payload);
    }

    [Fact]
    public async Task ReadGraphAsync_ReturnsNothing_WhenNoGraphWasSaved()
    {
        var store = Open();
        await OpenAsync(store);
        await CompactAsync(store, products: 1, Payload(1));
        await CompactAsync(store, products: 2, graph: null);

        Assert.Equal((null, null), await ReopenAndReadGraphAsync());
        Assert.Null(await _store.ReadAsync(store.GraphPath, CancellationToken.None));
    }

    [Fact]
    public async Task ReadGraphAsync_RefusesAGraphOfAnOlderSnapshot()
    {
        // What a crash between writing a snapshot and its graph leaves: the previous graph.
        var store = Open();
        await OpenAsync(store);
        await CompactAsync(store, products: 1, Payload(1));
        var olderGraph = (await _store.ReadAsync(store.GraphPath, CancellationToken.None))!;
        await CompactAsync(store, products: 2, Payload(2));
        await _store.WriteAsync(store.GraphPath, olderGraph, CancellationToken.None);

        var (payload, refused) = await ReopenAndReadGraphAsync();

        Assert.Null(payload);
        Assert.Contains("belongs to the snapshot of generation 1", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadGraphAsync_RefusesADamagedGraph()
    {
        var store = Open();
        await OpenAsync(store);
        await CompactAsync(store, products: 1, Payload(1));
        var bytes = (await _store.ReadAsync(store.GraphPath, CancellationToken.None))!;
        bytes[500] ^= 1;
        await _store.WriteAsync(store.GraphPath, bytes, CancellationToken.None);

        var (payload, refused) = await ReopenAndReadGraphAsync();

        Assert.Null(payload);
        Assert.Contains("damaged", refused, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cut in the payload", "cut short")]
    [InlineData("cut in the checksum", "cut short")]
    [InlineData("a byte appended", "bytes follow")]
    [InlineData("a header byte flipped", "damaged")]
    [InlineData("not a graph", "Not a shard graph")]
    public async Task ReadGraphAsync_FindsItOnlyWhenEveryByteChecksOut(string damage, string reason)
    {
        var store = Open();
        await OpenAsync(store);
        await CompactAsync(store, products: 1, Payload(1));
        var bytes = (await _store.ReadAsync(store.GraphPath, CancellationToken.None))!;
        byte[] damaged = damage switch
        {
            "cut in the payload" => bytes[..600],
            "cut in the checksum" => bytes[..^3],
            "a byte appended" => [.. bytes, 0],
            "a header byte flipped" => Flip(bytes, 6),
            _ => [.. "NOPE"u8, .. bytes[4..]],
        };
        await _store.WriteAsync(store.GraphPath, damaged, CancellationToken.None);

        var reopened = Open();
        await OpenAsync(reopened);
        using var payload = new MemoryStream();
        var (found, refused) = await reopened.ReadGraphAsync(payload, CancellationToken.None);

        Assert.False(found);
        Assert.Contains(reason, refused, StringComparison.Ordinal);

        // Whole, it streams into the destination byte for byte.
        await _store.WriteAsync(store.GraphPath, bytes, CancellationToken.None);
        using var whole = new MemoryStream();
        Assert.Equal((true, null), await reopened.ReadGraphAsync(whole, CancellationToken.None));
        Assert.Equal(Payload(1), whole.ToArray());
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 1;
        return copy;
    }

    [Fact]
    public async Task ReadGraphAsync_ReturnsAGraphLargerThanTheCopyBuffer_WrittenFromTheStreamsPosition()
    {
        var store = Open();
        await OpenAsync(store);
        var graph = new byte[1_500_000];
        new Random(1).NextBytes(graph);
        using (var payload = new MemoryStream([0, 0, 0, .. graph]) { Position = 3 })
        {
            await CompactFromStreamAsync(store, products: 20, payload);
        }

        var (bound, refused) = await ReopenAndReadGraphAsync();

        var snapshot = (await _store.ReadAsync(store.SnapshotPath, CancellationToken.None))!;
        var blob = (await _store.ReadAsync(store.GraphPath, CancellationToken.None))!;
        Assert.Null(refused);
        Assert.True(graph.AsSpan().SequenceEqual(bound), "the graph read back differs from the one written");
        var snapshotHash = BinaryPrimitives.ReadUInt64LittleEndian(snapshot.AsSpan(snapshot.Length - sizeof(ulong)));
        Assert.Equal(new ShardGraphHeader(1, snapshotHash, graph.Length), ShardGraphCodec.ReadHeader(blob));
    }
}
