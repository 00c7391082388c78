namespace OutfitFinder.Core.Search;

/// <summary>How an <see cref="HnswIndex"/> stores the vectors its graph walks.</summary>
public enum HnswVectors
{
    /// <summary>Single-precision floats, 4 bytes a value: scores equal the exact scan's.</summary>
    Float,

    /// <summary>
    /// Symmetric per-vector int8 codes and a scale, 1 byte a value: a quarter of the memory and of the bytes each
    /// distance reads. The walk compares int8 codes; the rows found are re-scored with the float query against
    /// their codes, so scores are close to, not equal to, the exact scan's. Cosine and dot only.
    /// </summary>
    Int8,
}

/// <summary>How an <see cref="HnswIndex"/> answers a search filtered by category.</summary>
public enum HnswFilterStrategy
{
    /// <summary>Scan the category's rows exactly when that costs less than a walk (<see cref="FilterCost"/>), else walk
    /// the graph.</summary>
    Auto,

    /// <summary>Always walk the graph, keeping only the category's rows (recall falls as the category gets rarer).</summary>
    Walk,

    /// <summary>Always scan the category's rows exactly (cost grows with the category's size).</summary>
    Scan,
}

/// <summary>Build-time parameters of an <see cref="HnswIndex"/>.</summary>
/// <param name="M">Neighbours linked per row on each upper level; level 0 holds up to 2M. At least 2. Default: 16.</param>
/// <param name="EfConstruction">Candidates kept while linking a new row; higher builds slower and a better graph.
/// At least 1. Default: 200.</param>
/// <param name="Seed">Decides every row's level; the same seed and upserts give the same graph. Default: 42.</param>
/// <param name="ExactFilterFraction">No longer read by searches: <see cref="HnswFilterStrategy.Auto"/> now decides by
/// <see cref="FilterCost"/>, whose crossover share falls as a graph grows. Kept because the saved form records it.
/// In [0, 1]. Default: 0.08 (the crossover measured on 100,000 512-d vectors at ef 64).</param>
/// <param name="Vectors">How vectors are stored: floats, or int8 codes for a quarter of the memory. Default: Float.</param>
public sealed record HnswOptions(int M = 16, int EfConstruction = 200, int Seed = 42, double ExactFilterFraction = 0.08,
    HnswVectors Vectors = HnswVectors.Float)
{
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range; the message names it.</exception>
    internal void Validate()
    {
        if (M < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(M), M, "M must be at least 2.");
        }

        if (EfConstruction < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "EfConstruction must be at least 1.");
        }

        if (!(ExactFilterFraction >= 0 && ExactFilterFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ExactFilterFraction), ExactFilterFraction,
                "ExactFilterFraction must be between 0 and 1.");
        }

        if (!Enum.IsDefined(Vectors))
        {
            throw new ArgumentOutOfRangeException(nameof(Vectors), Vectors, "Vectors must be Float or Int8.");
        }
    }
}
