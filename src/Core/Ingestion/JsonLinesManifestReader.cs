using System.Text.Json;

namespace OutfitFinder.Core.Ingestion;

/// <summary>
/// Streams a JSON Lines manifest: one object per line with <c>product_id</c> and <c>image</c>
/// (strings) — or instead of the image its vector made elsewhere, <c>vector</c> (an array of numbers) or
/// <c>vector_file</c> (a path, with <c>vector_row</c>, a whole number, for a file of many) — an optional
/// <c>category</c>, and any other properties as product metadata: the same fields as the CSV manifest. Blank lines are skipped; a line that is not such an object is a bad
/// row, and reading goes on, since every line stands alone.
/// </summary>
/// <remarks>Row numbers are line numbers, counting from 1.</remarks>
public sealed class JsonLinesManifestReader(TextReader reader, ImageResolver resolveImage) : IManifestReader
{
    /// <summary>Longest line accepted; a manifest row is a few hundred bytes, so anything near this is not one.</summary>
    public const int MaxLineChars = 1 << 20;

    public IEnumerable<ManifestRow> ReadRows()
    {
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return Parse(lineNumber, line);
            }
        }
    }

    public void Dispose() => reader.Dispose();

    private ManifestRow Parse(int lineNumber, string line)
    {
        var problems = new List<string>();
        var metadata = new Dictionary<string, JsonElement>();
        if (line.Length > MaxLineChars)
        {
            return Bad(lineNumber, $"the line is {line.Length} characters; the limit is {MaxLineChars}");
        }

        JsonElement row;
        try
        {
            using var document = JsonDocument.Parse(line);
            row = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return Bad(lineNumber, $"not valid JSON: {ex.Message}");
        }

        if (row.ValueKind != JsonValueKind.Object)
        {
            return Bad(lineNumber, $"a {row.ValueKind.ToString().ToLowerInvariant()}, not a JSON object");
        }

        string? productId = null, image = null, category = null, vectorFile = null;
        var vectorRow = "";
        float[]? vector = null;
        foreach (var property in row.EnumerateObject())
        {
            switch (property.Name)
            {
                case ManifestReader.ProductIdColumn:
                    productId = Text(property, problems);
                    break;
                case ManifestReader.ImageColumn:
                    image = Text(property, problems);
                    break;
                case ManifestReader.CategoryColumn:
                    category = Text(property, problems);
                    break;
                case ManifestRow.VectorColumn when property.Value.ValueKind == JsonValueKind.Array:
                    vector = ManifestRow.ParseVector(string.Join(' ', property.Value.EnumerateArray().Select(value => value.GetRawText())), problems);
                    break;
                case ManifestRow.VectorColumn when property.Value.ValueKind != JsonValueKind.Null:
                    problems.Add($"'{ManifestRow.VectorColumn}' is a {property.Value.ValueKind.ToString().ToLowerInvariant()}; it must be an array of numbers");
                    break;
                case ManifestRow.VectorColumn:
                    break;
                case VectorFile.FileColumn:
                    vectorFile = Text(property, problems);
                    break;
                case VectorFile.RowColumn when property.Value.ValueKind == JsonValueKind.Number:
                    vectorRow = property.Value.GetRawText();
                    break;
                case VectorFile.RowColumn when property.Value.ValueKind != JsonValueKind.Null:
                    problems.Add($"'{VectorFile.RowColumn}' is a {property.Value.ValueKind.ToString().ToLowerInvariant()}; it must be a row number from 0");
                    break;
                case VectorFile.RowColumn:
                    break;
                default:
                    if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    {
                        metadata[property.Name] = property.Value;
                    }
                    else if (property.Value.ValueKind is not JsonValueKind.Null)
                    {
                        // The same rule as product metadata everywhere: strings and numbers only.
                        problems.Add($"metadata '{property.Name}' is a {property.Value.ValueKind.ToString().ToLowerInvariant()}; only strings and numbers are allowed");
                    }

                    break;
            }
        }

        productId = productId?.Trim() ?? "";
        if (productId.Length == 0)
        {
            problems.Add($"'{ManifestReader.ProductIdColumn}' is missing or empty");
        }

        var resolved = "";
        VectorFileRef? file = null;
        var hasVectorFile = !string.IsNullOrWhiteSpace(vectorFile);
        if (vector is not null && hasVectorFile)
        {
            problems.Add($"the row gives both '{ManifestRow.VectorColumn}' and '{VectorFile.FileColumn}'; give one");
            vector = null;
        }
        else if (vector is not null || problems.Any(problem => problem.StartsWith($"'{ManifestRow.VectorColumn}'", StringComparison.Ordinal)))
        {
            // A vector made elsewhere stands for the image.
        }
        else if (hasVectorFile)
        {
            file = ManifestReader.ReadVectorFile(vectorFile!.Trim(), vectorRow, problems, resolveImage);
        }
        else if (string.IsNullOrWhiteSpace(image))
        {
            problems.Add($"'{ManifestReader.ImageColumn}' (or '{ManifestRow.VectorColumn}' or '{VectorFile.FileColumn}') is missing or empty");
        }
        else
        {
            resolved = resolveImage(image.Trim(), problems);
        }

        category = string.IsNullOrWhiteSpace(category) ? null : category.Trim();
        return new ManifestRow(lineNumber, productId, resolved, category, metadata, problems, vector, file);
    }

    private static string? Text(JsonProperty property, List<string> problems)
    {
        if (property.Value.ValueKind == JsonValueKind.String)
        {
            return property.Value.GetString();
        }

        if (property.Value.ValueKind != JsonValueKind.Null)
        {
            problems.Add($"'{property.Name}' is a {property.Value.ValueKind.ToString().ToLowerInvariant()}; it must be a string");
        }

        return null;
    }

    private static ManifestRow Bad(int lineNumber, string problem) =>
        new(lineNumber, "", "", null, new Dictionary<string, JsonElement>(), [problem]);
}
