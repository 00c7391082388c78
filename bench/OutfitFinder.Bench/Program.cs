using OutfitFinder.Bench;

// Benchmarks of the hot paths; docs/benchmarks.md has the commands and the figures they gave.
return await BenchCommands.Build().Parse(args).InvokeAsync();
