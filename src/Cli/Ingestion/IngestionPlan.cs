using System.Text.Json;
using OutfitFinder.Cli.Http;
using OutfitFinder.Core.Ingestion;

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
    /// their first row, images the order of their rows); <see cref="ManifestProduct"/> says when rows conflict.
    /// A product whose rows give vectors made elsewhere (<c>vector</c> or <c>vector_file</c>) is sent as JSON vectors.
    /// </summary>
    /// <remarks>
    /// A product with any bad row is skipped whole rather than uploaded with its good images: the
    /// upload replaces the product, so sending a subset would silently delete images from the catalog.
    /// </remarks>
    public static IngestionPlan FromRows(IEnumerable<ManifestRow> rows)
    {
        var products = new Dictionary<string, ManifestProduct>(StringComparer.Ordinal);
        var order = new List<ManifestProduct>();
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
                product = new ManifestProduct(row.ProductId);
                products.Add(row.ProductId, product);
                order.Add(product);
            }

            var problems = product.Add(row);
            if (problems.Count > 0)
            {
                badRows.Add(new BadRow(row.RowNumber, row.ProductId, string.Join("; ", problems)));
            }
        }

        return new IngestionPlan(
            order.Where(p => p.BadRows.Count == 0)
                .Select(p => new PlannedProduct(p.HasVectors
                    ? new ProductUpload(p.ProductId, p.Category, p.Metadata(), [], p.Vectors.ToArray(), p.VectorFiles)
                    : new ProductUpload(p.ProductId, p.Category, p.Metadata(), p.Images), p.Rows))
                .ToList(),
            order.Where(p => p.BadRows.Count > 0).Select(p => new SkippedProduct(p.ProductId, p.Rows, p.BadRows)).ToList(),
            badRows);
    }
}
