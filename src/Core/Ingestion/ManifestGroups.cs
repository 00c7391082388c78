using System.IO.Hashing;
using System.Text;

namespace OutfitFinder.Core.Ingestion;

/// <summary>Why one manifest row was not ingested.</summary>
/// <param name="Row">Row (CSV) or line (JSON Lines) number.</param>
/// <param name="ProductId">Null when the row has none.</param>
/// <param name="Image">The image as written in the row's source; null when the row has none.</param>
/// <param name="Reason">A sentence for a person.</param>
public sealed record RowFailure(int Row, string? ProductId, string? Image, string Reason);

/// <summary>
/// What a streamed manifest yields: a product made of consecutive rows (perhaps with bad rows, in
/// which case it is skipped whole), or a row that belongs to no product.
/// </summary>
/// <param name="LastRow">The highest row number this group covers; a checkpoint after it means the group is done.</param>
/// <param name="Product">Null for a lone bad row.</param>
/// <param name="Failures">The bad rows among those covered.</param>
public sealed record ManifestGroup(int LastRow, ManifestProduct? Product, IReadOnlyList<RowFailure> Failures)
{
    /// <summary>Rows covered by this group.</summary>
    public int RowCount => Product?.Rows.Count ?? Failures.Count;

    /// <summary>Whether the product can be ingested: it exists and none of its rows is bad.</summary>
    public bool IsIngestible => Product is not null && Failures.Count == 0;
}

/// <summary>
/// Groups a manifest's rows into products as they stream past, holding one product at a time, so a
/// manifest of millions of rows needs memory for one product plus 8 bytes per product id seen.
/// </summary>
/// <remarks>
/// Unlike the CLI, which reads a whole manifest into memory and may gather a product's rows from
/// anywhere in it, a streamed manifest must keep each product's rows together. A product id that
/// comes back after other products is a bad row: the earlier rows were already ingested as the whole
/// product. Ids are remembered as 64-bit hashes; a false match needs ~4 billion products.
/// </remarks>
public static class ManifestGroups
{
    /// <summary>The groups of <paramref name="rows"/> whose last row is after <paramref name="afterRow"/> (0 for all).</summary>
    public static IEnumerable<ManifestGroup> Read(IEnumerable<ManifestRow> rows, int afterRow = 0)
    {
        var seen = new HashSet<ulong>();
        ManifestProduct? current = null;
        List<RowFailure> failures = [];
        var lastRow = 0;

        foreach (var row in rows)
        {
            if (current is not null && row.ProductId == current.ProductId)
            {
                AddRow(current, row, failures);
                lastRow = row.RowNumber;
                continue;
            }

            if (current is not null)
            {
                if (lastRow > afterRow)
                {
                    yield return new ManifestGroup(lastRow, current, failures);
                }

                (current, failures) = (null, []);
            }

            if (row.ProductId.Length == 0)
            {
                if (row.RowNumber > afterRow)
                {
                    yield return new ManifestGroup(row.RowNumber, null, [Failure(row, null, row.Problems)]);
                }

                continue;
            }

            if (!seen.Add(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(row.ProductId))))
            {
                if (row.RowNumber > afterRow)
                {
                    yield return new ManifestGroup(row.RowNumber, null, [Failure(row, row.ProductId,
                        [$"product '{row.ProductId}' appeared earlier in the manifest, separated from this row by other products; a product's rows must be consecutive"])]);
                }

                continue;
            }

            current = new ManifestProduct(row.ProductId);
            AddRow(current, row, failures);
            lastRow = row.RowNumber;
        }

        if (current is not null && lastRow > afterRow)
        {
            yield return new ManifestGroup(lastRow, current, failures);
        }
    }

    private static void AddRow(ManifestProduct product, ManifestRow row, List<RowFailure> failures)
    {
        var problems = product.Add(row);
        if (problems.Count > 0)
        {
            failures.Add(Failure(row, product.ProductId, problems));
        }
    }

    private static RowFailure Failure(ManifestRow row, string? productId, IReadOnlyList<string> problems) =>
        new(row.RowNumber, productId, row.ImagePath.Length == 0 ? null : row.ImagePath, string.Join("; ", problems));
}
