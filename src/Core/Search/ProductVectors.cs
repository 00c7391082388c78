using System.Numerics.Tensors;

namespace OutfitFinder.Core.Search;

/// <summary>
/// The rules every index applies to a product's vectors, in one place so that the flat, int8 and
/// graph indexes accept exactly the same input and store bit-identical unit vectors for cosine.
/// </summary>
internal static class ProductVectors
{
    /// <summary>Checks a product's <c>imageCount × dimension</c> floats and returns the image count.</summary>
    /// <exception cref="ArgumentException">No values, a ragged length, or a value that cannot be scored.</exception>
    public static int Validate(string productId, ReadOnlySpan<float> vectors, int dimension)
    {
        if (vectors.IsEmpty)
        {
            throw new ArgumentException(
                $"Product '{productId}' has no vectors; pass at least one image's {dimension} values.",
                nameof(vectors));
        }

        if (vectors.Length % dimension != 0)
        {
            throw new ArgumentException(
                $"Product '{productId}' has {vectors.Length} values, which is not a whole number of " +
                $"{dimension}-dimensional vectors.",
                nameof(vectors));
        }

        var imageCount = vectors.Length / dimension;
        for (var image = 0; image < imageCount; image++)
        {
            if (!IsScorable(vectors.Slice(image * dimension, dimension)))
            {
                throw new ArgumentException(
                    $"Image {image} of product '{productId}' holds a NaN or infinite value, or values too large " +
                    "to score in single precision.",
                    nameof(vectors));
            }
        }

        return imageCount;
    }

    /// <summary>Checks a query against an index of <paramref name="dimension"/>-long vectors.</summary>
    /// <exception cref="ArgumentException">Wrong length, or a value that cannot be scored.</exception>
    public static void ValidateQuery(ReadOnlySpan<float> query, int dimension)
    {
        if (query.Length != dimension)
        {
            throw new ArgumentException(
                $"The query has {query.Length} values but this index holds {dimension}-dimensional vectors.",
                nameof(query));
        }

        if (!IsScorable(query))
        {
            throw new ArgumentException(
                "The query holds a NaN or infinite value, or values too large to score in single precision.",
                nameof(query));
        }
    }

    /// <summary>
    /// Finite, and with a finite norm. The second condition (|v| below about 1.8e19) keeps every
    /// score finite-or-infinite but never NaN: by Cauchy–Schwarz no partial dot product can overflow,
    /// so no +∞ meets a −∞.
    /// </summary>
    public static bool IsScorable(ReadOnlySpan<float> vector) =>
        TensorPrimitives.IsFiniteAll(vector) && float.IsFinite(TensorPrimitives.Norm(vector));

    /// <summary>Scales to unit length; an all-zero vector stays zero, so it scores 0 against anything.</summary>
    public static void NormaliseInPlace(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0f)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}
