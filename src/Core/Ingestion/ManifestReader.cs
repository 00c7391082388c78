using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsvHelper;
using CsvHelper.Configuration;

namespace OutfitFinder.Core.Ingestion;

/// <summary>
/// Streams the rows of a CSV ingestion manifest: a header row, columns
/// <c>product_id</c> and <c>image</c> (a path relative to the manifest's folder or source), or instead of the image
/// its vector made elsewhere: <c>vector</c> (numbers separated by spaces, or by commas in a quoted cell) or
/// <c>vector_file</c> (a file resolved like an image, <c>.f32</c>/<c>.bin</c>/<c>.npy</c>, with <c>vector_row</c>
/// naming the row of a file of many); an optional <c>category</c>, and any other columns as product metadata. The header is checked when the
/// reader is created, so a manifest missing a column fails before anything is uploaded; problems in
/// a data row are attached to that row (<see cref="ManifestRow.Problems"/>) and reading goes on.
/// </summary>
/// <remarks>
/// Row numbers are CSV record numbers with the header as row 1, the numbering a spreadsheet shows.
/// </remarks>
public sealed partial class ManifestReader : IManifestReader
{
    public const string ProductIdColumn = "product_id";
    public const string ImageColumn = "image";
    public const string CategoryColumn = "category";

    private readonly CsvReader _csv;
    private readonly ImageResolver _resolveImage;
    private readonly int _headerCount;
    private readonly int _productIdIndex;
    private readonly int _imageIndex;
    private readonly int _categoryIndex;
    private readonly int _vectorIndex;
    private readonly int _vectorFileIndex;
    private readonly int _vectorRowIndex;
    private readonly (int Index, string Name)[] _metadataColumns;
    private bool _badDataInRow;

    /// <param name="reader">The manifest's text; disposed with this reader.</param>
    /// <param name="baseDirectory">Folder that relative image paths are resolved against; a row whose file is missing is bad.</param>
    /// <param name="sourceName">How errors name the manifest, usually its path.</param>
    /// <exception cref="ManifestException">The manifest is empty or its header is unusable.</exception>
    public ManifestReader(TextReader reader, string baseDirectory, string sourceName)
        : this(reader, sourceName, ManifestImages.InFolder(baseDirectory))
    {
    }

    /// <param name="reader">The manifest's text; disposed with this reader.</param>
    /// <param name="sourceName">How errors name the manifest, usually its path.</param>
    /// <param name="resolveImage">Turns an image cell into what the row carries, adding problems for a bad one.</param>
    /// <exception cref="ManifestException">The manifest is empty or its header is unusable.</exception>
    public ManifestReader(TextReader reader, string sourceName, ImageResolver resolveImage)
    {
        _resolveImage = resolveImage;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            TrimOptions = TrimOptions.Trim,
            // Short rows read as empty cells; rows with too many cells are reported per row below.
            MissingFieldFound = null,
            // A stray quote is the row's problem, not the end of the run.
            BadDataFound = _ => _badDataInRow = true,
        };
        _csv = new CsvReader(reader, configuration);

        var header = CsvHeader.Read(_csv, sourceName, [ProductIdColumn, ImageColumn], unnamedAllowed: false,
            (message, cause) => new ManifestException(message, cause),
            new Dictionary<string, string[]> { [ImageColumn] = [ManifestRow.VectorColumn, VectorFile.FileColumn] });
        _headerCount = header.Names.Count;
        _productIdIndex = header.IndexOf(ProductIdColumn);
        _imageIndex = header.IndexOf(ImageColumn);
        _categoryIndex = header.IndexOf(CategoryColumn);
        _vectorIndex = header.IndexOf(ManifestRow.VectorColumn);
        _vectorFileIndex = header.IndexOf(VectorFile.FileColumn);
        _vectorRowIndex = header.IndexOf(VectorFile.RowColumn);
        _metadataColumns = header.Names
            .Select((name, index) => (Index: index, Name: name))
            .Where(column => column.Index != _productIdIndex && column.Index != _imageIndex && column.Index != _categoryIndex
                && column.Index != _vectorIndex && column.Index != _vectorFileIndex && column.Index != _vectorRowIndex)
            .ToArray();
    }

    /// <summary>The data rows in file order, read one at a time.</summary>
    public IEnumerable<ManifestRow> ReadRows()
    {
        while (TryReadRow(out var row))
        {
            yield return row;
        }
    }

    public void Dispose() => _csv.Dispose();

    /// <summary>
    /// The JSON value of a metadata cell: a number when the cell is a JSON number literal with a
    /// finite value, otherwise a string. Stricter than "whatever double.Parse accepts" on purpose:
    /// <c>00123</c> (a SKU or postcode), <c>+5</c>, <c>1,5</c> and <c>NaN</c> stay strings, so no
    /// identifier loses its leading zeros. Numbers keep their text, so <c>19.90</c> is sent as written.
    /// </summary>
    public static JsonElement MetadataValue(string cell)
    {
        if (JsonNumber().IsMatch(cell)
            && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && double.IsFinite(number))
        {
            using var document = JsonDocument.Parse(cell);
            return document.RootElement.Clone();
        }

        return JsonSerializer.SerializeToElement(cell, ManifestJsonContext.Default.String);
    }

    private bool TryReadRow(out ManifestRow row)
    {
        _badDataInRow = false;
        try
        {
            if (!_csv.Read())
            {
                row = null!;
                return false;
            }

            row = ParseRow();
            return true;
        }
        catch (CsvHelperException ex)
        {
            // Reading cannot resume after a parser failure, so this one is fatal for the whole manifest.
            throw new ManifestException($"Row {_csv.Parser.Row} could not be read: {ex.Message}", ex);
        }
    }

    private ManifestRow ParseRow()
    {
        var rowNumber = _csv.Parser.Row;
        var fieldCount = _csv.Parser.Count;
        string Cell(int index) => index >= 0 && index < fieldCount ? _csv.Parser[index] ?? "" : "";

        var problems = new List<string>();
        var productId = Cell(_productIdIndex);
        var image = Cell(_imageIndex);
        var category = Cell(_categoryIndex);
        var metadata = new Dictionary<string, JsonElement>();
        foreach (var (index, name) in _metadataColumns)
        {
            var cell = Cell(index);
            if (cell.Length > 0)
            {
                metadata[name] = MetadataValue(cell);
            }
        }

        if (_badDataInRow)
        {
            problems.Add("malformed CSV (a quote out of place)");
        }

        if (fieldCount > _headerCount)
        {
            problems.Add($"{fieldCount} cells but the header has {_headerCount} columns");
        }

        if (productId.Length == 0)
        {
            problems.Add($"'{ProductIdColumn}' is empty");
        }

        var imagePath = "";
        var vectorCell = Cell(_vectorIndex);
        var vectorFileCell = Cell(_vectorFileIndex);
        float[]? vector = null;
        VectorFileRef? vectorFile = null;
        if (vectorCell.Length > 0 && vectorFileCell.Length > 0)
        {
            problems.Add($"the row gives both '{ManifestRow.VectorColumn}' and '{VectorFile.FileColumn}'; give one");
        }
        else if (vectorCell.Length > 0)
        {
            // A vector made elsewhere stands for the image: the image cell, if any, is not read.
            vector = ManifestRow.ParseVector(vectorCell, problems);
        }
        else if (vectorFileCell.Length > 0)
        {
            vectorFile = ReadVectorFile(vectorFileCell, Cell(_vectorRowIndex), problems, _resolveImage);
        }
        else if (image.Length == 0)
        {
            // The image is named even when its column is absent (a vector column stood in for it): it is what the row could give.
            var columns = new[] { (ImageColumn, 0), (ManifestRow.VectorColumn, _vectorIndex), (VectorFile.FileColumn, _vectorFileIndex) }
                .Where(column => column.Item2 >= 0).Select(column => $"'{column.Item1}'").ToArray();
            problems.Add(columns.Length == 1 ? $"{columns[0]} is empty" : $"{string.Join(", ", columns[..^1])} and {columns[^1]} are empty");
        }
        else
        {
            imagePath = _resolveImage(image, problems);
        }

        return new ManifestRow(rowNumber, productId, imagePath, category.Length > 0 ? category : null, metadata, problems, vector, vectorFile);
    }

    /// <summary>
    /// A row's vector file and row as the two cells give them; null with a problem added when either is unusable
    /// (the path resolved like an image's, the format told by its extension).
    /// </summary>
    internal static VectorFileRef? ReadVectorFile(string file, string row, List<string> problems, ImageResolver resolve)
    {
        var before = problems.Count;
        if (!VectorFile.IsKnownFormat(file))
        {
            problems.Add($"'{VectorFile.FileColumn}' '{file}' is not {VectorFile.KnownFormats}");
            return null;
        }

        var path = resolve(file, problems, "vector file");
        var index = ManifestRow.ParseVectorRow(row, problems);
        return problems.Count > before ? null : new VectorFileRef(path, index);
    }

    // RFC 8259 number grammar: no leading zeros, no leading '+', digits on both sides of a '.'.
    [GeneratedRegex(@"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}

/// <summary>The manifest cannot be read at all: missing file, empty, missing columns, broken CSV.</summary>
public sealed class ManifestException(string message, Exception? inner = null) : Exception(message, inner);
