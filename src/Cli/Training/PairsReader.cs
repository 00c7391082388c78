using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace OutfitFinder.Cli.Training;

/// <summary>One data row of a pairs file, with what is wrong with it (nothing, for a usable row).</summary>
/// <param name="RowNumber">CSV record number, the header being row 1.</param>
/// <param name="ProductId">The product both photos show.</param>
/// <param name="Category">Its category, when the file gives one.</param>
/// <param name="ShopImage">Absolute path of the shop photo.</param>
/// <param name="ConsumerImage">Absolute path of the consumer photo.</param>
/// <param name="Problems">Why the row cannot be used; empty for a usable row.</param>
internal sealed record TrainingPair(int RowNumber, string ProductId, string? Category, string ShopImage, string ConsumerImage, List<string> Problems);

/// <summary>
/// Reads a pairs file: CSV with a header naming <c>product_id</c>, <c>category</c>,
/// <c>shop_image</c> and <c>consumer_image</c> (paths relative to the file's folder); other
/// columns are ignored and several rows may share a product. A bad row is returned with its
/// problems so that the caller lists it and goes on.
/// </summary>
internal static class PairsReader
{
    public const string ProductIdColumn = "product_id";
    public const string CategoryColumn = "category";
    public const string ShopImageColumn = "shop_image";
    public const string ConsumerImageColumn = "consumer_image";

    /// <exception cref="PairsFileException">The file cannot be opened or parsed, or lacks a required column.</exception>
    public static IReadOnlyList<TrainingPair> Read(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)!;
        try
        {
            using var text = new StreamReader(fullPath);
            var badData = false;
            using var csv = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture)
            {
                TrimOptions = TrimOptions.Trim,
                MissingFieldFound = null,
                BadDataFound = _ => badData = true,
            });
            var header = csv.Read() && csv.ReadHeader() ? csv.HeaderRecord ?? [] : [];
            var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < header.Length; i++)
            {
                columns.TryAdd(header[i], i);
            }

            string[] required = [ProductIdColumn, ShopImageColumn, ConsumerImageColumn];
            var missing = required.Where(name => !columns.ContainsKey(name)).ToArray();
            if (missing.Length > 0)
            {
                throw new PairsFileException(
                    $"{fullPath} needs a header row with the columns {ProductIdColumn},{CategoryColumn},{ShopImageColumn},{ConsumerImageColumn}; "
                    + $"missing: {string.Join(", ", missing)}.");
            }

            var rows = new List<TrainingPair>();
            while (csv.Read())
            {
                var count = csv.Parser.Count;
                string Cell(string name) => columns.TryGetValue(name, out var index) && index < count ? csv.Parser[index] ?? "" : "";
                var problems = new List<string>();
                if (badData)
                {
                    problems.Add("malformed CSV (a quote out of place)");
                    badData = false;
                }

                var productId = Cell(ProductIdColumn);
                if (productId.Length == 0)
                {
                    problems.Add($"'{ProductIdColumn}' is empty");
                }

                var category = Cell(CategoryColumn);
                rows.Add(new TrainingPair(csv.Parser.Row, productId, category.Length > 0 ? category : null,
                    ImagePath(folder, Cell(ShopImageColumn), ShopImageColumn, problems),
                    ImagePath(folder, Cell(ConsumerImageColumn), ConsumerImageColumn, problems),
                    problems));
            }

            return rows;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PairsFileException($"The pairs file {fullPath} could not be read: {ex.Message}");
        }
        catch (CsvHelperException ex)
        {
            throw new PairsFileException($"The pairs file {fullPath} could not be parsed: {ex.Message}");
        }
    }

    private static string ImagePath(string folder, string relative, string column, List<string> problems)
    {
        if (relative.Length == 0)
        {
            problems.Add($"'{column}' is empty");
            return "";
        }

        try
        {
            var path = Path.GetFullPath(Path.Combine(folder, relative));
            if (!File.Exists(path))
            {
                problems.Add($"{column} '{relative}' not found ({path})");
            }

            return path;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            problems.Add($"{column} path '{relative}' is not valid");
            return "";
        }
    }
}

/// <summary>A pairs file cannot be used at all: unreadable, not CSV, missing columns, no usable rows.</summary>
internal sealed class PairsFileException(string message) : Exception(message);
