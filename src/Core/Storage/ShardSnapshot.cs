using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Storage;

/// <summary>One product's row in a <see cref="ShardSnapshot"/>; its vectors are in <see cref="ShardSnapshot.Vectors"/>.</summary>
public readonly record struct SnapshotProduct(string ProductId, string? Category, string? MetadataJson, int ImageCount);

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
