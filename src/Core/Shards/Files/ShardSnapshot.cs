using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>One product's row in a <see cref="ShardSnapshot"/>; its vectors are in <see cref="ShardSnapshot.Vectors"/>.</summary>
public readonly record struct SnapshotProduct(string ProductId, string? Category, string? MetadataJson, int ImageCount);

/// <summary>
/// What a snapshot's fixed-size header says: enough to size what its products and vectors will fill
/// before reading them.
/// </summary>
/// <param name="Dimension">Floats per image vector; at least 1.</param>
/// <param name="Metric">The catalog's distance metric.</param>
/// <param name="ReplayFromGeneration">First log generation the snapshot does not cover (see <see cref="ShardSnapshot.ReplayFromGeneration"/>).</param>
/// <param name="ProductCount">Products in the snapshot.</param>
/// <param name="ImageCount">Images over every product: Σ <see cref="SnapshotProduct.ImageCount"/>.</param>
public readonly record struct ShardSnapshotHeader(int Dimension, DistanceMetric Metric, long ReplayFromGeneration, int ProductCount, long ImageCount);

/// <summary>One product handed to a streamed snapshot write, with its own vectors.</summary>
/// <param name="Product">The product's row.</param>
/// <param name="Vectors"><see cref="SnapshotProduct.ImageCount"/> × dimension floats, image after image.</param>
public readonly record struct SnapshotRow(SnapshotProduct Product, ReadOnlyMemory<float> Vectors);

/// <summary>
/// A catalog shard's whole state at one point of its log: every live product (deleted ones are
/// simply absent) and their vectors in one block, product after product, image after image.
/// </summary>
/// <param name="Dimension">Floats per image vector.</param>
/// <param name="Metric">The catalog's distance metric; vectors are stored as the index holds them.</param>
/// <param name="ReplayFromGeneration">
/// First log generation the snapshot does not cover: it holds every record of generations below
/// this one, and none of this one or later. A restart loads the snapshot and replays generations
/// from here on.
/// </param>
/// <param name="Products">The products, in the order their vectors appear in <paramref name="Vectors"/>.</param>
/// <param name="Vectors">Σ ImageCount × <paramref name="Dimension"/> floats.</param>
public sealed record ShardSnapshot(
    int Dimension,
    DistanceMetric Metric,
    long ReplayFromGeneration,
    IReadOnlyList<SnapshotProduct> Products,
    float[] Vectors);
