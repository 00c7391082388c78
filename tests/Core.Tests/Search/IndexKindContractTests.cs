using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>The contract run against the exact scan with its vectors on the managed heap.</summary>
public sealed class FlatHeapContractTests : VectorIndexContractTests
{
    protected override bool IsExact => true;

    protected override IVectorIndex Make(int dimension, DistanceMetric metric) => new FlatVectorIndex(dimension, metric);
}

/// <summary>The contract run against the exact scan with its vectors in a memory-mapped scratch file.</summary>
public sealed class FlatMappedFileContractTests : VectorIndexContractTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"outfitfinder-contract-{Guid.NewGuid():N}");

    protected override bool IsExact => true;

    protected override IVectorIndex Make(int dimension, DistanceMetric metric) =>
        new FlatVectorIndex(dimension, metric, VectorStorage.MappedFile(_folder));

    protected override void Cleanup()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>The contract run against int8 codes with the exact re-rank (floats kept).</summary>
public sealed class Int8ContractTests : VectorIndexContractTests
{
    // Measured 1.000 for cosine, dot and l2 on the contract's clustered catalog (rerank 4 × k); the floor leaves room
    // for a product the int8 pass pushes below the candidate cut.
    protected override double RecallFloor => 0.98;

    protected override bool IsExact => false;

    protected override IVectorIndex Make(int dimension, DistanceMetric metric) =>
        new Int8VectorIndex(dimension, metric, keepFullPrecision: true);

    protected override string? Unsupported(DistanceMetric metric) => metric == DistanceMetric.L1
        ? "L1 has no form that per-vector int8 scales compute in integers; the int8 index refuses it."
        : null;
}

/// <summary>The contract run against the HNSW graph over float vectors.</summary>
public sealed class HnswFloatContractTests : VectorIndexContractTests
{
    // Measured on the contract's clustered catalog at the default ef: 1.000 for cosine, l2 and l1, 0.998 for dot.
    protected override double RecallFloor => 0.98;

    protected override bool IsExact => false;

    protected override bool KeepsTombstones => true;

    protected override IVectorIndex Make(int dimension, DistanceMetric metric) => new HnswIndex(dimension, metric);

    protected override IVectorIndex? Load(Stream saved) => HnswIndex.Load(saved);
}

/// <summary>The contract run against the HNSW graph over int8 vectors.</summary>
public sealed class HnswInt8ContractTests : VectorIndexContractTests
{
    // Measured on the contract's clustered catalog at the default ef: 0.978 for cosine, 0.990 for dot (the walk and
    // the reported scores use the codes, so near-equal products can swap places at the cut).
    protected override double RecallFloor => 0.95;

    protected override bool IsExact => false;

    protected override bool KeepsTombstones => true;

    protected override IVectorIndex Make(int dimension, DistanceMetric metric) =>
        new HnswIndex(dimension, metric, new HnswOptions(Vectors: HnswVectors.Int8));

    protected override string? Unsupported(DistanceMetric metric) => metric is DistanceMetric.L2 or DistanceMetric.L1
        ? "An int8 graph compares codes by dot product, so it supports cosine and dot only."
        : null;

    protected override IVectorIndex? Load(Stream saved) => HnswIndex.Load(saved);
}
