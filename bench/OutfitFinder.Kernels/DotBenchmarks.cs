using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Kernels;

/// <summary>One 512-d dot product, in cache: the scan's own kernel against TensorPrimitives.</summary>
[MemoryDiagnoser]
public class DotBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];

    [GlobalSetup]
    public void Setup()
    {
        var values = KernelData.UnitVectors(2, seed: 1);
        _a = values[..KernelData.Dimension];
        _b = values[KernelData.Dimension..];
    }

    [Benchmark(Baseline = true)]
    public float TensorPrimitivesDot() => TensorPrimitives.Dot(_a, _b);

    [Benchmark]
    public float DotKernelsDot() => DotKernels.Dot(_a, _b);
}
