namespace OutfitFinder.Core.Search;

/// <summary>Limits of a <see cref="SearchBatcher"/>.</summary>
/// <param name="MaxBatchSize">Most queries in one pass; more wait for the next. At least 1. Default: 32.</param>
public sealed record SearchBatcherOptions(int MaxBatchSize = 32);
