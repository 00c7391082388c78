using OutfitFinder.Cli.Evaluation;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Evaluation;

public sealed class QueriesReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadRows_ReadsInstanceAndCategoryQueries_WithImagesRelativeToTheFile()
    {
        var image = _folder.WriteBytes("photos/a.jpg", [1]);
        _folder.WriteBytes("photos/b.jpg", [1]);

        var rows = Read("queries/../queries.csv", "image,product_id,category,note\nphotos/a.jpg,p1,Dress,x\nphotos/b.jpg,,Top,\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal((2, image, "p1", "Dress", true), (rows[0].RowNumber, rows[0].ImagePath, rows[0].ProductId, rows[0].Category, rows[0].IsInstance));
        Assert.Equal((3, null, "Top", false), (rows[1].RowNumber, rows[1].ProductId, rows[1].Category, rows[1].IsInstance));
        Assert.All(rows, row => Assert.Empty(row.Problems));
    }

    [Fact]
    public void Open_NamesTheMissingColumn_WhenTheHeaderLacksProductId()
    {
        var path = _folder.WriteText("queries.csv", "image,category\na.jpg,Dress\n");

        var error = Assert.Throws<QueriesException>(() => QueriesReader.Open(path));

        Assert.Contains("missing the required column 'product_id'; its header has: image, category.", error.Message);
    }

    [Fact]
    public void Open_Fails_WhenTheFileIsEmpty()
    {
        var path = _folder.WriteText("queries.csv", "");

        var error = Assert.Throws<QueriesException>(() => QueriesReader.Open(path));

        Assert.Contains("is empty", error.Message);
    }

    [Fact]
    public void ReadRows_ReportsBadRowsWithTheirNumbers_AndKeepsReading()
    {
        _folder.WriteBytes("a.jpg", [1]);

        var rows = Read("queries.csv", "image,product_id,category\na.jpg,,\nmissing.jpg,p2,Top\n,p3,\na.jpg,p4,Top\n");

        Assert.Equal([2, 3, 4, 5], rows.Select(row => row.RowNumber));
        Assert.Contains("neither 'product_id' nor 'category' is set", Assert.Single(rows[0].Problems));
        Assert.StartsWith("image 'missing.jpg' not found", Assert.Single(rows[1].Problems));
        Assert.Equal("'image' is empty", Assert.Single(rows[2].Problems));
        Assert.Empty(rows[3].Problems);
    }

    private List<EvaluationQuery> Read(string relativePath, string csv)
    {
        using var reader = QueriesReader.Open(_folder.WriteText(relativePath, csv));
        return [.. reader.ReadRows()];
    }
}
