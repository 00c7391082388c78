using System.Text.Json;

namespace OutfitFinder.Core.Ingestion;

/// <summary>
/// One product assembled from its manifest rows: one image per row, in row order. A product's
/// category and metadata may be given on any of its rows, but rows that disagree are bad: row 7
/// saying <c>color=blue</c> for a product whose row 2 says <c>color=red</c> makes row 7 bad.
/// </summary>
/// <remarks>
/// Whoever uploads a product with any bad row should skip it whole rather than upload its good
/// images: an upload replaces the product, so sending a subset would silently delete images.
/// </remarks>
public sealed class ManifestProduct(string productId)
{
    private (string Value, int Row)? _category;
    private readonly Dictionary<string, (JsonElement Value, int Row)> _metadata = [];
    private readonly List<string> _images = [];
    private readonly List<int> _rows = [];
    private readonly List<int> _badRows = [];

    public string ProductId { get; } = productId;

    /// <summary>Row numbers of every row of this product, bad ones included.</summary>
    public IReadOnlyList<int> Rows => _rows;

    /// <summary>Images of every row, in row order, as the reader resolved them.</summary>
    public IReadOnlyList<string> Images => _images;

    public IReadOnlyList<int> BadRows => _badRows;

    public string? Category => _category?.Value;

    public Dictionary<string, JsonElement> Metadata() => _metadata.ToDictionary(m => m.Key, m => m.Value.Value);

    /// <summary>Adds the row's image, category and metadata; returns every problem of the row (its own and its conflicts with earlier rows).</summary>
    public IReadOnlyList<string> Add(ManifestRow row)
    {
        var problems = row.Problems.ToList();
        _rows.Add(row.RowNumber);
        _images.Add(row.ImagePath);
        if (row.Category is { } category)
        {
            if (_category is not { } earlier)
            {
                _category = (category, row.RowNumber);
            }
            else if (earlier.Value != category)
            {
                problems.Add($"category '{category}' differs from '{earlier.Value}' on row {earlier.Row}");
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
                problems.Add($"'{key}' is {value.GetRawText()} but {earlier.Value.GetRawText()} on row {earlier.Row}");
            }
        }

        if (problems.Count > 0)
        {
            _badRows.Add(row.RowNumber);
        }

        return problems;
    }
}
