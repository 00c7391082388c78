using System.Text.Json;
using OutfitFinder.Cli.Http;

namespace OutfitFinder.Cli.Ingestion;

/// <summary>A product to upload and the manifest rows it came from (one per image, in row order).</summary>
internal sealed record PlannedProduct(ProductUpload Upload, IReadOnlyList<int> Rows);

/// <summary>A manifest row that cannot be uploaded. <see cref="ProductId"/> is null when the row has none.</summary>
internal sealed record BadRow(int RowNumber, string? ProductId, string Reason);

/// <summary>A product left out because some of its rows are bad.</summary>
internal sealed record SkippedProduct(string ProductId, IReadOnlyList<int> Rows, IReadOnlyList<int> BadRows);

/// <summary>What an ingestion run will upload, and what it already knows it cannot.</summary>
internal sealed record IngestionPlan(
    IReadOnlyList<PlannedProduct> Products,
    IReadOnlyList<SkippedProduct> Skipped,
    IReadOnlyList<BadRow> BadRows)
{
    /// <summary>
    /// Groups rows into products by product id (rows need not be adjacent; products keep the order of
    /// their first row, images the order of their rows). A product's category and metadata may be
    /// given on any of its rows, but rows that disagree are bad: row 7 saying <c>color=blue</c> for a
    /// product whose row 2 says <c>color=red</c> makes row 7 bad.
    /// </summary>
    /// <remarks>
    /// A product with any bad row is skipped whole rather than uploaded with its good images: the
    /// upload replaces the product, so sending a subset would silently delete images from the catalog.
    /// </remarks>
    public static IngestionPlan FromRows(IEnumerable<ManifestRow> rows)
    {
        var products = new Dictionary<string, ProductBuilder>(StringComparer.Ordinal);
        var order = new List<ProductBuilder>();
        var badRows = new List<BadRow>();
        foreach (var row in rows)
        {
            if (row.ProductId.Length == 0)
            {
                badRows.Add(new BadRow(row.RowNumber, null, string.Join("; ", row.Problems)));
                continue;
            }

            if (!products.TryGetValue(row.ProductId, out var product))
            {
                product = new ProductBuilder(row.ProductId);
                products.Add(row.ProductId, product);
                order.Add(product);
            }

            var problems = row.Problems.Concat(product.Merge(row)).ToList();
            if (problems.Count > 0)
            {
                product.BadRows.Add(row.RowNumber);
                badRows.Add(new BadRow(row.RowNumber, row.ProductId, string.Join("; ", problems)));
            }
        }

        return new IngestionPlan(
            order.Where(p => p.BadRows.Count == 0).Select(p => p.ToPlanned()).ToList(),
            order.Where(p => p.BadRows.Count > 0).Select(p => new SkippedProduct(p.ProductId, p.Rows, p.BadRows)).ToList(),
            badRows);
    }

    private sealed class ProductBuilder(string productId)
    {
        private (string Value, int Row)? _category;
        private readonly Dictionary<string, (JsonElement Value, int Row)> _metadata = [];
        private readonly List<string> _images = [];

        public string ProductId { get; } = productId;

        public List<int> Rows { get; } = [];

        public List<int> BadRows { get; } = [];

        /// <summary>Adds the row's image, category and metadata; returns the row's conflicts with earlier rows.</summary>
        public IEnumerable<string> Merge(ManifestRow row)
        {
            var conflicts = new List<string>();
            Rows.Add(row.RowNumber);
            _images.Add(row.ImagePath);
            if (row.Category is { } category)
            {
                if (_category is not { } earlier)
                {
                    _category = (category, row.RowNumber);
                }
                else if (earlier.Value != category)
                {
                    conflicts.Add($"category '{category}' differs from '{earlier.Value}' on row {earlier.Row}");
                }
            }

            foreach (var (key, value) in row.Metadata)
            {
                if (!_metadata.TryGetValue(key, out var earlier))
                {
                    _metadata.Add(key, (value, row.RowNumber));
                }
                else if (!JsonElement.DeepEquals(earlier.Value, value))
                {
                    conflicts.Add($"'{key}' is {value.GetRawText()} but {earlier.Value.GetRawText()} on row {earlier.Row}");
                }
            }

            return conflicts;
        }

        public PlannedProduct ToPlanned() => new(
            new ProductUpload(ProductId, _category?.Value, _metadata.ToDictionary(m => m.Key, m => m.Value.Value), _images),
            Rows);
    }
}
