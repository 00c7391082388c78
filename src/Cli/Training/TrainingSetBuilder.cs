using OutfitFinder.Lab.Training;

namespace OutfitFinder.Cli.Training;

/// <summary>Turns usable pair rows and their images' base vectors into a <see cref="PairSet"/>, one row per distinct image.</summary>
internal static class TrainingSetBuilder
{
    /// <param name="rows">Rows without problems; a row that cannot be used gets a problem added and is left out.</param>
    /// <param name="vectors">Base vector of every image that could be embedded.</param>
    /// <param name="products">Product ids to integer labels, shared by the training and validation sets.</param>
    /// <param name="dimension">Length of the base vectors.</param>
    /// <returns>The set, or null when no row is usable.</returns>
    public static PairSet? Build(IEnumerable<TrainingPair> rows, IReadOnlyDictionary<string, float[]> vectors, Dictionary<string, int> products, int dimension)
    {
        var shops = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumerProduct = new Dictionary<int, string>();
        var shopVectors = new List<float>();
        var consumerVectors = new List<float>();
        var shopProducts = new List<int>();
        var positives = new HashSet<(int, int)>();
        foreach (var row in rows)
        {
            if (!vectors.ContainsKey(row.ShopImage) || !vectors.ContainsKey(row.ConsumerImage))
            {
                continue;
            }

            if (consumers.TryGetValue(row.ConsumerImage, out var known) && consumerProduct[known] != row.ProductId)
            {
                row.Problems.Add($"consumer image is already paired with product '{consumerProduct[known]}'");
                continue;
            }

            var label = products.TryGetValue(row.ProductId, out var existing) ? existing : products[row.ProductId] = products.Count;
            if (shops.TryGetValue(row.ShopImage, out var knownShop) && shopProducts[knownShop] != label)
            {
                row.Problems.Add("shop image is already listed for another product");
                continue;
            }

            if (!shops.TryGetValue(row.ShopImage, out var shop))
            {
                shop = shops[row.ShopImage] = shops.Count;
                shopVectors.AddRange(vectors[row.ShopImage]);
                shopProducts.Add(label);
            }

            if (!consumers.TryGetValue(row.ConsumerImage, out var consumer))
            {
                consumer = consumers[row.ConsumerImage] = consumers.Count;
                consumerVectors.AddRange(vectors[row.ConsumerImage]);
                consumerProduct[consumer] = row.ProductId;
            }

            positives.Add((consumer, shop));
        }

        return positives.Count == 0
            ? null
            : new PairSet(dimension, consumerVectors.ToArray(), shopVectors.ToArray(), shopProducts, [.. positives.Order()]);
    }
}
