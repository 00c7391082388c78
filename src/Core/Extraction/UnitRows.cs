using System.Numerics.Tensors;

namespace OutfitFinder.Core.Extraction;

/// <summary>Scales each row of a row-major block to unit length; all-zero rows stay zero.</summary>
/// <remarks>Public for the head trainer, which must normalise its pair vectors as the embedders do.</remarks>
public static class UnitRows
{
    public static void Normalise(Span<float> rows, int dimension)
    {
        for (var start = 0; start + dimension <= rows.Length; start += dimension)
        {
            var vector = rows.Slice(start, dimension);
            var norm = TensorPrimitives.Norm<float>(vector);
            if (norm > 0)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }
        }
    }
}
