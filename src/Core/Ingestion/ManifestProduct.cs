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
    private readonly List<float[]?> _vectors = [];
    private readonly List<VectorFileRef?> _vectorFiles = [];
    private readonly List<int> _rows = [];
    private readonly List<int> _badRows = [];

    public string ProductId { get; } = productId;

    /// <summary>Row numbers of every row of this product, bad ones included.</summary>
    public IReadOnlyList<int> Rows => _rows;

    /// <summary>Images of every row, in row order, as the reader resolved them.</summary>
    public IReadOnlyList<string> Images => _images;

    public IReadOnlyList<int> BadRows => _badRows;

    /// <summary>Each row's vector made elsewhere given in the manifest, or null for a row that names an image or a vector file; in row order.</summary>
    public IReadOnlyList<float[]?> Vectors => _vectors;

    /// <summary>Each row's vector file, or null for a row that names an image or gives its vector inline; in row order.</summary>
    public IReadOnlyList<VectorFileRef?> VectorFiles => _vectorFiles;

    /// <summary>Every row gives a vector, inline or in a file: no image to read or embed.</summary>
    public bool HasVectors => _rows.Count > 0 && Enumerable.Range(0, _rows.Count).All(GivesVector);

    /// <summary>What stands for row <paramref name="index"/>'s image in messages: the image, or else its vector file.</summary>
    public string Source(int index) => _images[index].Length > 0 ? _images[index] : _vectorFiles[index]?.Path ?? "";

    private bool GivesVector(int index) => _vectors[index] is not null || _vectorFiles[index] is not null;

    public string? Category => _category?.Value;

    public Dictionary<string, JsonElement> Metadata() => _metadata.ToDictionary(m => m.Key, m => m.Value.Value);

    /// <summary>Adds the row's image, category and metadata; returns every problem of the row (its own and its conflicts with earlier rows).</summary>
    public IReadOnlyList<string> Add(ManifestRow row)
    {
        var problems = row.Problems.ToList();
        _rows.Add(row.RowNumber);
        _images.Add(row.ImagePath);
        _vectors.Add(row.Vector);
        _vectorFiles.Add(row.VectorFile);
        if (row.GivesVector != GivesVector(0) && row.Problems.Count == 0)
        {
            problems.Add($"row {row.RowNumber} gives {(row.GivesVector ? "a vector" : "an image")} but row {_rows[0]} of the product gives {(row.GivesVector ? "an image" : "a vector")}; give vectors for all of a product's rows or for none");
        }
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
