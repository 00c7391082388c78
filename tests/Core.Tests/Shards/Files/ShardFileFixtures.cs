using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards.Files;

namespace OutfitFinder.Core.Tests.Shards.Files;

/// <summary>
/// A snapshot's content as a test holds it: the header's fields, the products, and every vector in
/// one block, product after product, image after image.
/// </summary>
internal sealed record SnapshotContent(int Dimension, DistanceMetric Metric, long ReplayFromGeneration,
    IReadOnlyList<SnapshotProduct> Products, float[] Vectors)
{
    public ShardSnapshotHeader Header => new(Dimension, Metric, ReplayFromGeneration, Products.Count,
        Products.Sum(p => (long)p.ImageCount));

    public IEnumerable<SnapshotRow> Rows()
    {
        var offset = 0;
        foreach (var product in Products)
        {
            var length = product.ImageCount * Dimension;
            yield return new SnapshotRow(product, Vectors.AsMemory(offset, length));
            offset += length;
        }
    }

    /// <summary>The snapshot's bytes, as the streaming codec writes them.</summary>
    public async Task<byte[]> WriteAsync()
    {
        using var destination = new MemoryStream();
        await ShardSnapshotCodec.WriteAsync(destination, Header, Rows(), CancellationToken.None);
        return destination.ToArray();
    }
}

/// <summary>
/// Reference snapshots and graph blobs with the exact bytes the format gives them, checked in so that
/// the on-disk format cannot drift unnoticed: a change here is a format change, which needs a new
/// <see cref="ShardSnapshotCodec.Version"/> and a reader for the old one, not an updated fixture.
/// The bytes were produced by the first codec and have been written identically since.
/// </summary>
internal static class ShardFileFixtures
{
    /// <summary>Three products: one with two images and metadata, one with non-ASCII id and nulls, one empty.</summary>
    public static SnapshotContent Sample { get; } = new(
        Dimension: 3,
        Metric: DistanceMetric.L2,
        ReplayFromGeneration: 7,
        Products:
        [
            new SnapshotProduct("dress-1", "Dress", """{"price":12.5}""", 2),
            new SnapshotProduct("top-é✓", null, null, 1),
            new SnapshotProduct("", "", "", 0),
        ],
        Vectors: [1f, -2f, 3.5f, float.Epsilon, 0f, -0f, 1e30f, -1e-30f, 42f]);

    /// <summary><see cref="Sample"/> on disk, 159 bytes.</summary>
    public static byte[] SampleBytes => Convert.FromHexString(
        // "OFSS", version 1, L2, reserved, dimension 3, replay from 7, 3 products, 3 images
        "4F465353" + "0100" + "02" + "00" + "03000000" + "0700000000000000" + "03000000" + "0300000000000000"
        // "dress-1", "Dress", {"price":12.5}, 2 images
        + "07000000" + "64726573732D31" + "05000000" + "4472657373" + "0E000000" + "7B227072696365223A31322E357D" + "02000000"
        // "top-é✓", null, null, 1 image
        + "09000000" + "746F702DC3A9E29C93" + "FFFFFFFF" + "FFFFFFFF" + "01000000"
        // "", "", "", 0 images
        + "00000000" + "00000000" + "00000000" + "00000000"
        // 1, -2, 3.5 | ε, 0, -0 | 1e30, -1e-30, 42
        + "0000803F" + "000000C0" + "00006040" + "01000000" + "00000000" + "00000080" + "CAF24971" + "6042A28D" + "00002842"
        // XxHash64 of the 151 bytes above
        + "6876067B4BB8BCA0");

    /// <summary>The documented example: an empty 4-float cosine shard covering generations 0–2.</summary>
    public static SnapshotContent Empty { get; } = new(4, DistanceMetric.Cosine, 3, [], []);

    /// <summary><see cref="Empty"/> on disk: the 32-byte header and its hash, 40 bytes.</summary>
    public static byte[] EmptyBytes => Convert.FromHexString(
        "4F465353" + "0100" + "00" + "00" + "04000000" + "0300000000000000" + "00000000" + "0000000000000000"
        + "856480CCD6E8957F");

    /// <summary>
    /// About 2.8 MiB, so it crosses the codec's 1 MiB buffer several times; one metadata document
    /// is itself larger than the buffer, and some products have no images.
    /// </summary>
    public static SnapshotContent Large()
    {
        const int dimension = 96;
        var random = new Random(11);
        var products = new List<SnapshotProduct>();
        for (var i = 0; i < 2_000; i++)
        {
            var metadata = i == 700 ? new string('m', 1_200_000) : i % 3 == 0 ? null : $$"""{"n":{{i}},"name":"é✓ {{i}}"}""";
            products.Add(new SnapshotProduct($"p-{i}", i % 5 == 0 ? null : "Shoe", metadata, i % 7 == 0 ? 0 : 1 + i % 4));
        }

        var vectors = new float[products.Sum(p => p.ImageCount) * dimension];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return new SnapshotContent(dimension, DistanceMetric.Cosine, 5, products, vectors);
    }

    /// <summary><see cref="Large"/> on disk: its length and SHA-256 (too large to check in byte by byte).</summary>
    public const long LargeLength = 2_933_256;

    /// <inheritdoc cref="LargeLength"/>
    public const string LargeSha256 = "C7A28D451D87DF8DEE0613EBE64266E0F0C20E02E0F0EE70D3C1154B9FC85012";

    /// <summary>The payload of <see cref="GraphBytes"/>: bytes 0 to 15.</summary>
    public static byte[] GraphPayload => [.. Enumerable.Range(0, 16).Select(i => (byte)i)];

    /// <summary>A graph blob of <see cref="GraphPayload"/> bound to the snapshot of generation 3 with hash 0xABCDEF, 56 bytes.</summary>
    public static byte[] GraphBytes => Convert.FromHexString(
        // "OFSG", version 1, reserved, replay from 3, snapshot hash, 16 payload bytes
        "4F465347" + "0100" + "0000" + "0300000000000000" + "EFCDAB0000000000" + "1000000000000000"
        + "000102030405060708090A0B0C0D0E0F"
        // XxHash64 of the 48 bytes above
        + "F6225DF1EAF26BB3");
}
