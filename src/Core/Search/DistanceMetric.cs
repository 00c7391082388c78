namespace OutfitFinder.Core.Search;

/// <summary>
/// How two vectors are compared. Scores are reported in the metric's own terms: cosine
/// similarity and dot product (higher is better), Euclidean and Manhattan distance (lower is better).
/// </summary>
public enum DistanceMetric
{
    /// <summary>Cosine similarity in [-1, 1]; higher is better. Vectors are compared by direction only.</summary>
    Cosine,

    /// <summary>Dot product; higher is better. For embeddings whose length carries meaning.</summary>
    Dot,

    /// <summary>Euclidean distance (not squared); lower is better.</summary>
    L2,

    /// <summary>Manhattan distance, the sum of absolute differences; lower is better.</summary>
    L1,
}
