namespace OutfitFinder.Cli.Bench;

/// <summary>Benchmark inputs that do not fit together (dimensions, counts, parameters); the message says how.</summary>
internal sealed class BenchInputException(string message) : Exception(message);
