using OutfitFinder.Core.Extraction;

namespace OutfitFinder.Lab.Training;

/// <summary>
/// Base-model vectors of labelled photos for training or validating a head: consumer photos, shop
/// photos, which product each shop photo shows, and the positive pairs (a consumer photo and a shop
/// photo of the same product). Rows are copied and scaled to unit length.
/// </summary>
public sealed class PairSet
{
    /// <param name="dimension">Length of every vector.</param>
    /// <param name="consumers">Consumer photo vectors, row-major.</param>
    /// <param name="shops">Shop photo vectors, row-major.</param>
    /// <param name="shopProducts">Product of each shop photo, as any integer label; equal labels mean the same product.</param>
    /// <param name="positives">(consumer row, shop row) pairs showing the same product. Every consumer row must appear; a consumer's shops must share one product.</param>
    public PairSet(int dimension, ReadOnlySpan<float> consumers, ReadOnlySpan<float> shops, IReadOnlyList<int> shopProducts, IReadOnlyList<(int Consumer, int Shop)> positives)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(shopProducts);
        ArgumentNullException.ThrowIfNull(positives);
        if (consumers.Length % dimension != 0 || shops.Length % dimension != 0)
        {
            throw new ArgumentException($"Vectors must be whole rows of {dimension} floats.");
        }

        if (shops.Length / dimension != shopProducts.Count)
        {
            throw new ArgumentException($"There are {shops.Length / dimension} shop vectors but {shopProducts.Count} shop products.", nameof(shopProducts));
        }

        if (positives.Count == 0)
        {
            throw new ArgumentException("A pair set needs at least one positive pair.", nameof(positives));
        }

        Dimension = dimension;
        ConsumerCount = consumers.Length / dimension;
        ShopCount = shopProducts.Count;
        Consumers = consumers.ToArray();
        Shops = shops.ToArray();
        UnitRows.Normalise(Consumers, dimension);
        UnitRows.Normalise(Shops, dimension);
        ShopProducts = [.. shopProducts];
        ConsumerProducts = new int[ConsumerCount];
        var seen = new bool[ConsumerCount];
        foreach (var (consumer, shop) in positives)
        {
            if ((uint)consumer >= (uint)ConsumerCount || (uint)shop >= (uint)ShopCount)
            {
                throw new ArgumentException($"Pair ({consumer}, {shop}) points outside {ConsumerCount} consumer and {ShopCount} shop vectors.", nameof(positives));
            }

            var product = ShopProducts[shop];
            if (seen[consumer] && ConsumerProducts[consumer] != product)
            {
                throw new ArgumentException($"Consumer photo {consumer} is paired with shop photos of two products.", nameof(positives));
            }

            seen[consumer] = true;
            ConsumerProducts[consumer] = product;
        }

        if (Array.IndexOf(seen, false) is var missing and >= 0)
        {
            throw new ArgumentException($"Consumer photo {missing} has no positive pair.", nameof(positives));
        }

        Positives = [.. positives];
        ProductCount = ShopProducts.Distinct().Count();
    }

    public int Dimension { get; }

    public int ConsumerCount { get; }

    public int ShopCount { get; }

    /// <summary>Distinct products among the shop photos.</summary>
    public int ProductCount { get; }

    /// <summary>Number of positive pairs.</summary>
    public int PositiveCount => Positives.Length;

    /// <summary>Unit-length consumer vectors, row-major.</summary>
    internal float[] Consumers { get; }

    /// <summary>Unit-length shop vectors, row-major.</summary>
    internal float[] Shops { get; }

    internal int[] ShopProducts { get; }

    internal int[] ConsumerProducts { get; }

    internal (int Consumer, int Shop)[] Positives { get; }

    internal ReadOnlySpan<float> Consumer(int row) => Consumers.AsSpan(row * Dimension, Dimension);

    internal ReadOnlySpan<float> Shop(int row) => Shops.AsSpan(row * Dimension, Dimension);
}
