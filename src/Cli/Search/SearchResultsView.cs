using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Search;

/// <summary>Renders a search response as a table, best match first.</summary>
internal static class SearchResultsView
{
    // Readable in a terminal: "é" and "<" as themselves, not \u00e9 and \u003C.
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IAnsiConsole console, SearchResponse response)
    {
        var culture = CultureInfo.InvariantCulture;
        if (response.Results.Count == 0)
        {
            console.WriteLine("No results.");
        }
        else
        {
            var table = new Table()
                .AddColumn(new TableColumn("Rank").RightAligned())
                .AddColumn("Product")
                .AddColumn(new TableColumn("Score").RightAligned())
                .AddColumn("Category")
                .AddColumn(new TableColumn("Image").RightAligned())
                .AddColumn("Metadata");
            var rank = 0;
            foreach (var hit in response.Results)
            {
                rank++;
                table.AddRow(
                    new Text(rank.ToString(culture)),
                    new Text(hit.ProductId ?? ""),
                    new Text(hit.Score.ToString("F4", culture)),
                    new Text(hit.Category ?? ""),
                    new Text(hit.ImageIndex.ToString(culture)),
                    new Text(CompactMetadata(hit.Metadata)));
            }

            console.Write(table);
        }

        console.WriteLine(string.Create(culture, $"Took {response.TookMs:0.0} ms."));
    }

    /// <summary><c>{"color":"red","price":19.9}</c> on one line; empty when the hit has no metadata.</summary>
    internal static string CompactMetadata(JsonElement? metadata)
    {
        if (metadata is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } value)
        {
            return "";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, CompactJson))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
