namespace OutfitFinder.Core.Search;

/// <summary>
/// <see cref="Count"/> vectors of <see cref="Dimension"/> values each, stored back to back in
/// <see cref="Values"/>: vector i is <c>Values[i·Dimension .. (i+1)·Dimension)</c>.
/// </summary>
/// <remarks>An empty block (no vectors read) has <see cref="Dimension"/> 0.</remarks>
public sealed class VectorBlock<T>
    where T : unmanaged
{
    /// <exception cref="ArgumentException">
    /// <paramref name="values"/> does not hold exactly <paramref name="count"/> × <paramref name="dimension"/> values.
    /// </exception>
    public VectorBlock(int dimension, int count, T[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)dimension * count != values.Length)
        {
            throw new ArgumentException(
                $"{count} vectors of dimension {dimension} need {(long)dimension * count} values, not {values.Length}.",
                nameof(values));
        }

        Dimension = dimension;
        Count = count;
        Values = values;
    }

    /// <summary>Length of every vector; 0 only when the block is empty.</summary>
    public int Dimension { get; }

    /// <summary>Number of vectors.</summary>
    public int Count { get; }

    /// <summary>All values, vector after vector.</summary>
    public T[] Values { get; }

    /// <summary>Vector <paramref name="index"/>.</summary>
    public ReadOnlySpan<T> this[int index] =>
        (uint)index < (uint)Count
            ? Values.AsSpan(index * Dimension, Dimension)
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"The block holds {Count} vectors.");
}
