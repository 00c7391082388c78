using BenchmarkDotNet.Attributes;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Kernels;

/// <summary>
/// One pass over 100 000 × 512 floats (205 MB, far beyond cache): a plain streaming sum, the single-query
/// dot-product kernel, and the flat index's whole search (kernel, per-product best, top-20 heap). The ratio
/// column against the sum is the share of streaming bandwidth each reaches.
/// </summary>
[MemoryDiagnoser]
public class ScanBenchmarks
{
    private const int Count = 100_000;
    private float[] _vectors = [];
    private float[] _query = [];
    private float[] _scores = [];
    private FlatVectorIndex _flat = null!;

    [GlobalSetup]
    public void Setup()
    {
        _vectors = KernelData.UnitVectors(Count, seed: 2);
        _query = KernelData.UnitVectors(1, seed: 3);
        _scores = new float[Count];
        _flat = new FlatVectorIndex(KernelData.Dimension, DistanceMetric.Cosine);
        var ids = KernelData.Ids(Count);
        for (var i = 0; i < Count; i++)
        {
            _flat.Upsert(ids[i], null, _vectors.AsSpan(i * KernelData.Dimension, KernelData.Dimension));
        }
    }

    [Benchmark(Baseline = true)]
    public float StreamingSum() => DotKernels.Sum(_vectors);

    [Benchmark]
    public void DotRows() => DotKernels.DotRows(_query, _vectors, _scores);

    [Benchmark]
    public int FlatSearch() => _flat.Search(_query, 20).Count;
}
