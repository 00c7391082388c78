using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/OutfitFinder.Kernels -- --filter '*'   (see docs/benchmarks.md)
BenchmarkSwitcher.FromAssembly(typeof(OutfitFinder.Kernels.DotBenchmarks).Assembly).Run(args);
