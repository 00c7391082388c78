using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>One product's row in a snapshot; its <see cref="ImageCount"/> × dimension floats travel beside it (see <see cref="SnapshotRow"/>).</summary>
public readonly record struct SnapshotProduct(string ProductId, string? Category, string? MetadataJson, int ImageCount);

/// <summary>
/// What a snapshot's fixed-size header says: enough to size what its products and vectors will fill
/// before reading them. A snapshot is a catalog shard's whole state at one point of its log: every
/// live product (deleted ones are simply absent) and their vectors, product after product, image
/// after image (see <see cref="ShardSnapshotCodec"/>).
/// </summary>
/// <param name="Dimension">Floats per image vector; at least 1.</param>
/// <param name="Metric">The catalog's distance metric; vectors are stored as the index holds them.</param>
/// <param name="ReplayFromGeneration">
/// First log generation the snapshot does not cover: it holds every record of generations below
/// this one, and none of this one or later. A restart loads the snapshot and replays generations
/// from here on.
/// </param>
/// <param name="ProductCount">Products in the snapshot.</param>
/// <param name="ImageCount">Images over every product: Σ <see cref="SnapshotProduct.ImageCount"/>.</param>
public readonly record struct ShardSnapshotHeader(int Dimension, DistanceMetric Metric, long ReplayFromGeneration, int ProductCount, long ImageCount);

/// <summary>One product handed to a streamed snapshot write, with its own vectors.</summary>
/// <param name="Product">The product's row.</param>
/// <param name="Vectors"><see cref="SnapshotProduct.ImageCount"/> × dimension floats, image after image.</param>
public readonly record struct SnapshotRow(SnapshotProduct Product, ReadOnlyMemory<float> Vectors);
