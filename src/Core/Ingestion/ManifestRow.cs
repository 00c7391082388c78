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
public sealed record ManifestRow(
    int RowNumber,
    string ProductId,
    string ImagePath,
    string? Category,
    IReadOnlyDictionary<string, JsonElement> Metadata,
    IReadOnlyList<string> Problems);

[JsonSerializable(typeof(string))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
