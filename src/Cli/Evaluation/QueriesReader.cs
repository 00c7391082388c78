using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using OutfitFinder.Core.Ingestion;

namespace OutfitFinder.Cli.Evaluation;

/// <summary>
/// Streams the rows of an evaluation queries file: a CSV file with a header row, columns
/// <c>image</c> (a path relative to the file's folder) and <c>product_id</c> (the product that should
/// be found; empty for a category-only query), and an optional <c>category</c>. Other columns are
/// ignored. The header is checked when the reader is created; problems in a data row are attached to
/// that row (<see cref="EvaluationQuery.Problems"/>) and reading goes on, as for ingestion manifests.
/// </summary>
/// <remarks>Row numbers are CSV record numbers with the header as row 1, the numbering a spreadsheet shows.</remarks>
internal sealed class QueriesReader : IDisposable
{
    public const string ImageColumn = "image";
    public const string ProductIdColumn = "product_id";
    public const string CategoryColumn = "category";

    private readonly CsvReader _csv;
    private readonly string _baseDirectory;
    private readonly int _headerCount;
    private readonly int _imageIndex;
    private readonly int _productIdIndex;
    private readonly int _categoryIndex;
    private bool _badDataInRow;

    /// <param name="reader">The file's text; disposed with this reader.</param>
    /// <param name="baseDirectory">Folder that relative image paths are resolved against.</param>
    /// <param name="sourceName">How errors name the file, usually its path.</param>
    /// <exception cref="QueriesException">The file is empty or its header is unusable.</exception>
    public QueriesReader(TextReader reader, string baseDirectory, string sourceName)
    {
        _baseDirectory = baseDirectory;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            TrimOptions = TrimOptions.Trim,
            MissingFieldFound = null,
            BadDataFound = _ => _badDataInRow = true,
        };
        _csv = new CsvReader(reader, configuration);

        var header = CsvHeader.Read(_csv, sourceName, [ImageColumn, ProductIdColumn], unnamedAllowed: true,
            (message, cause) => new QueriesException(message, cause));
        _headerCount = header.Names.Count;
        _imageIndex = header.IndexOf(ImageColumn);
        _productIdIndex = header.IndexOf(ProductIdColumn);
        _categoryIndex = header.IndexOf(CategoryColumn);
    }

    /// <summary>Opens a queries file; image paths resolve against the file's folder.</summary>
    /// <exception cref="QueriesException">The file cannot be opened, is empty, or its header is unusable.</exception>
    public static QueriesReader Open(string path)
    {
        var fullPath = Path.GetFullPath(path);
        StreamReader text;
        try
        {
            text = new StreamReader(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new QueriesException($"The queries file {fullPath} could not be opened: {ex.Message}", ex);
        }

        try
        {
            return new QueriesReader(text, Path.GetDirectoryName(fullPath)!, fullPath);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>The data rows in file order, read one at a time.</summary>
    /// <exception cref="QueriesException">A row broke the CSV parser; reading cannot go on.</exception>
    public IEnumerable<EvaluationQuery> ReadRows()
    {
        while (true)
        {
            _badDataInRow = false;
            EvaluationQuery row;
            try
            {
                if (!_csv.Read())
                {
                    yield break;
                }

                row = ParseRow();
            }
            catch (CsvHelperException ex)
            {
                throw new QueriesException($"Row {_csv.Parser.Row} could not be read: {ex.Message}", ex);
            }

            yield return row;
        }
    }

    public void Dispose() => _csv.Dispose();

    private EvaluationQuery ParseRow()
    {
        var rowNumber = _csv.Parser.Row;
        var fieldCount = _csv.Parser.Count;
        string Cell(int index) => index >= 0 && index < fieldCount ? _csv.Parser[index] ?? "" : "";

        var problems = new List<string>();
        var image = Cell(_imageIndex);
        var productId = Cell(_productIdIndex);
        var category = Cell(_categoryIndex);
        if (_badDataInRow)
        {
            problems.Add("malformed CSV (a quote out of place)");
        }

        if (fieldCount > _headerCount)
        {
            problems.Add($"{fieldCount} cells but the header has {_headerCount} columns");
        }

        if (productId.Length == 0 && category.Length == 0)
        {
            problems.Add($"neither '{ProductIdColumn}' nor '{CategoryColumn}' is set, so no result can count as found");
        }

        var imagePath = "";
        if (image.Length == 0)
        {
            problems.Add($"'{ImageColumn}' is empty");
        }
        else
        {
            try
            {
                imagePath = Path.GetFullPath(Path.Combine(_baseDirectory, image));
                if (!File.Exists(imagePath))
                {
                    problems.Add($"image '{image}' not found ({imagePath})");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
            {
                problems.Add($"image path '{image}' is not valid");
            }
        }

        return new EvaluationQuery(
            rowNumber, imagePath, productId.Length > 0 ? productId : null, category.Length > 0 ? category : null, problems);
    }
}

/// <summary>The queries file cannot be read at all: missing file, empty, missing columns, broken CSV.</summary>
internal sealed class QueriesException(string message, Exception? inner = null) : Exception(message, inner);
