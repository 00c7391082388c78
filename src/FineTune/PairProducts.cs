namespace OutfitFinder.FineTune;

/// <summary>One product of a pairs file: its shop photo and its consumer (or street) photos, as full paths.</summary>
internal sealed record PairProduct(string ProductId, string Category, string ShopImage, IReadOnlyList<string> ConsumerImages);

/// <summary>Reads the <c>*_pairs.csv</c> files that <c>outfit pairs</c> writes.</summary>
internal static class PairProducts
{
    /// <summary>
    /// The products of <paramref name="path"/> (product_id,category,shop_image,consumer_image), in
    /// file order, each with all its consumer photos; with <paramref name="maxProducts"/> &gt; 0, that
    /// many drawn with <paramref name="seed"/>. Plain comma splitting: those files quote nothing.
    /// </summary>
    /// <exception cref="InvalidDataException">The file lacks a column or has a ragged row.</exception>
    public static IReadOnlyList<PairProduct> Read(string path, int maxProducts, int seed)
    {
        var lines = File.ReadAllLines(path);
        var header = lines.Length > 0 ? lines[0].Split(',') : [];
        string[] columns = ["product_id", "category", "shop_image", "consumer_image"];
        var positions = columns.Select(c => Array.IndexOf(header, c)).ToArray();
        if (positions.Any(p => p < 0))
        {
            throw new InvalidDataException($"'{path}' needs the columns {string.Join(",", columns)}.");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var products = new List<(string Id, string Category, string Shop, List<string> Consumers)>();
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length)
            {
                throw new InvalidDataException($"'{path}' has a row with {cells.Length} cells, not {header.Length}: {line}");
            }

            var id = cells[positions[0]];
            if (!byId.TryGetValue(id, out var index))
            {
                index = products.Count;
                byId[id] = index;
                products.Add((id, cells[positions[1]], Path.Combine(folder, cells[positions[2]]), []));
            }

            products[index].Consumers.Add(Path.Combine(folder, cells[positions[3]]));
        }

        var result = products.Select(p => new PairProduct(p.Id, p.Category, p.Shop, p.Consumers)).ToArray();
        if (maxProducts > 0 && result.Length > maxProducts)
        {
            new Random(seed).Shuffle(result);
            result = result[..maxProducts];
        }

        return result;
    }
}
