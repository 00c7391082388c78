using System.Text.Json;
using System.Text.Json.Serialization;

namespace OutfitFinder.Core.Ingestion;

/// <summary>One data row of a manifest: one image of one product.</summary>
/// <param name="RowNumber">CSV row number, the header being row 1.</param>
/// <param name="ProductId">As written, trimmed; empty when the cell is.</param>
/// <param name="ImagePath">The image as the reader resolved it (a full file path, or a path inside an ingestion source); empty when the cell is.</param>
/// <param name="Category">Null when the row has no category.</param>
/// <param name="Metadata">The row's non-empty metadata cells by column name, in column order.</param>
/// <param name="Problems">Why the row cannot be uploaded; empty for a good row.</param>
/// <param name="Vector">The image's vector made elsewhere (a <c>vector</c> column or field), stored as given instead of
/// embedding an image; null when the row names an image. Its length is checked against the catalog at ingestion.</param>
/// <param name="VectorFile">The file holding the image's vector made elsewhere (a <c>vector_file</c> column or field, with an
/// optional <c>vector_row</c>), read at ingestion when the catalog's dimension is known; null when the row gives none.</param>
public sealed record ManifestRow(
    int RowNumber,
    string ProductId,
    string ImagePath,
    string? Category,
    IReadOnlyDictionary<string, JsonElement> Metadata,
    IReadOnlyList<string> Problems,
    float[]? Vector = null,
    VectorFileRef? VectorFile = null)
{
    /// <summary>The row gives its vector (inline or in a file) instead of an image.</summary>
    public bool GivesVector => Vector is not null || VectorFile is not null;

    /// <summary>
    /// Parses a <c>vector_row</c> cell: a whole number from 0; null (the file holds one vector) when the cell is empty,
    /// null with a problem added when it is not a row number.
    /// </summary>
    public static long? ParseVectorRow(string cell, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (cell.Length == 0)
        {
            return null;
        }

        if (long.TryParse(cell, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var row))
        {
            return row;
        }

        problems.Add($"'{Ingestion.VectorFile.RowColumn}' is '{(cell.Length > 20 ? cell[..20] + "…" : cell)}'; give a row number from 0");
        return null;
    }

    /// <summary>Column (CSV) or field (JSON lines) holding a row's vector.</summary>
    public const string VectorColumn = "vector";

    /// <summary>Most values a vector cell may hold.</summary>
    public const int MaxVectorLength = 4096;

    /// <summary>
    /// Parses a vector cell: numbers separated by spaces, commas or semicolons, optionally inside brackets
    /// (<c>[0.1, -0.2, 0.3]</c> or <c>0.1 -0.2 0.3</c>); null with a problem added when it is not one.
    /// </summary>
    public static float[]? ParseVector(string cell, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var parts = cell.Trim().TrimStart('[').TrimEnd(']').Split([' ', ',', ';', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > MaxVectorLength)
        {
            problems.Add($"'{VectorColumn}' holds {parts.Length} values; give 1 to {MaxVectorLength} numbers");
            return null;
        }

        var vector = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out vector[i])
                || !float.IsFinite(vector[i]))
            {
                problems.Add($"'{VectorColumn}' value {i} ('{(parts[i].Length > 20 ? parts[i][..20] + "…" : parts[i])}') is not a finite number");
                return null;
            }
        }

        return vector;
    }
}

[JsonSerializable(typeof(string))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
