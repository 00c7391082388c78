namespace OutfitFinder.Core.Search;

/// <summary>
/// How two vectors are compared. Scores are reported in the metric's own terms: cosine
/// similarity and dot product (higher is better), Euclidean and Manhattan distance (lower is better).
/// </summary>
public enum DistanceMetric
{
    Cosine,
    Dot,
    L2,
    L1,
}
