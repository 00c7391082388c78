using System.Text.Json;
using OutfitFinder.Core.Ingestion;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Ingestion;

public sealed class ManifestReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadRows_ResolvesImagePaths_AgainstTheManifestFolder()
    {
        var image = _folder.WriteBytes("images/front.jpg", [1, 2, 3]);
        var manifest = _folder.WriteText("manifests/../catalog.csv", "product_id,image\np1,images/front.jpg\n");

        using var reader = Manifests.OpenFile(Path.GetRelativePath(Environment.CurrentDirectory, manifest));
        var row = Assert.Single(reader.ReadRows());

        Assert.Equal(image, row.ImagePath);
        Assert.Empty(row.Problems);
    }

    [Fact]
    public void ReadRows_ReadsCategoryAndMetadata_WithColumnNamesAsWritten()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read("Product_ID,Image,Category,Color,Price\np1,a.jpg,Dress,red,19.90\n");

        var row = Assert.Single(rows);
        Assert.Equal("p1", row.ProductId);
        Assert.Equal("Dress", row.Category);
        Assert.Equal(["Color", "Price"], row.Metadata.Keys);
        Assert.Equal("\"red\"", row.Metadata["Color"].GetRawText());
        Assert.Equal("19.90", row.Metadata["Price"].GetRawText());
    }

    [Fact]
    public void ReadRows_OmitsEmptyCells_AndTrimsValues()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read("product_id,image,category,color,size\n  p1 , a.jpg ,, blue ,   \n");

        var row = Assert.Single(rows);
        Assert.Equal("p1", row.ProductId);
        Assert.Null(row.Category);
        Assert.Equal(["color"], row.Metadata.Keys);
        Assert.Equal("blue", row.Metadata["color"].GetString());
    }

    [Theory]
    [InlineData("42", true)]
    [InlineData("-3.5", true)]
    [InlineData("19.90", true)]
    [InlineData("1e3", true)]
    [InlineData("0", true)]
    [InlineData("00123", false)]
    [InlineData("+5", false)]
    [InlineData("1,5", false)]
    [InlineData(".5", false)]
    [InlineData("NaN", false)]
    [InlineData("Infinity", false)]
    [InlineData("1e400", false)]
    [InlineData("12abc", false)]
    [InlineData("rouge \"vif\"", false)]
    public void MetadataValue_IsANumberOnly_ForFiniteJsonNumberLiterals(string cell, bool isNumber)
    {
        var value = ManifestReader.MetadataValue(cell);

        if (isNumber)
        {
            Assert.Equal(JsonValueKind.Number, value.ValueKind);
            Assert.Equal(cell, value.GetRawText());
        }
        else
        {
            Assert.Equal(JsonValueKind.String, value.ValueKind);
            Assert.Equal(cell, value.GetString());
        }
    }

    [Fact]
    public void ReadRows_NumbersRowsLikeASpreadsheet_WithTheHeaderAsRowOne()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read("product_id,image\np1,a.jpg\np2,a.jpg\np3,a.jpg\n");

        Assert.Equal([2, 3, 4], rows.Select(r => r.RowNumber));
    }

    [Fact]
    public void ReadRows_ReportsEachBadRow_WithItsNumberAndReason()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read(
            "product_id,image\n"
            + "p1,a.jpg\n"          // row 2: good
            + ",a.jpg\n"            // row 3: no product id
            + "p3,missing.jpg\n"    // row 4: no such file
            + "p4,\n"               // row 5: no image
            + "p5,a.jpg,extra\n"    // row 6: more cells than columns
            + "p6,a.jpg\n");        // row 7: good

        Assert.Equal([2, 3, 4, 5, 6, 7], rows.Select(r => r.RowNumber));
        Assert.Empty(rows[0].Problems);
        Assert.Equal("'product_id' is empty", Assert.Single(rows[1].Problems));
        Assert.StartsWith("image 'missing.jpg' not found", Assert.Single(rows[2].Problems));
        Assert.Contains(Path.Combine(_folder.Path, "missing.jpg"), rows[2].Problems[0]);
        Assert.Equal("'image' is empty", Assert.Single(rows[3].Problems));
        Assert.Equal("3 cells but the header has 2 columns", Assert.Single(rows[4].Problems));
        Assert.Empty(rows[5].Problems);
    }

    [Fact]
    public void ReadRows_ReportsAStrayQuote_AsAProblemOfThatRowOnly()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read("product_id,image,color\np1,a.jpg,dark \"navy\" blue\np2,a.jpg,red\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal("malformed CSV (a quote out of place)", Assert.Single(rows[0].Problems));
        Assert.Empty(rows[1].Problems);
        Assert.Equal("p2", rows[1].ProductId);
    }

    [Fact]
    public void ReadRows_TreatsMissingTrailingCellsAsEmpty()
    {
        _folder.WriteBytes("a.jpg", [1]);
        var rows = Read("product_id,image,category,color\np1,a.jpg\n");

        var row = Assert.Single(rows);
        Assert.Empty(row.Problems);
        Assert.Null(row.Category);
        Assert.Empty(row.Metadata);
    }

    [Fact]
    public void ReadRows_ReadsQuotedCells_WithCommasAndNewlines()
    {
        _folder.WriteBytes("a b.jpg", [1]);
        var rows = Read("product_id,image,notes\n\"p,1\",\"a b.jpg\",\"line one\nline two\"\np2,a b.jpg,x\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal("p,1", rows[0].ProductId);
        Assert.Equal("line one\nline two", rows[0].Metadata["notes"].GetString());
        Assert.Empty(rows[0].Problems);
        Assert.Equal(3, rows[1].RowNumber);
    }

    [Theory]
    [InlineData("product_id,category\n", "'image'")]
    [InlineData("sku,image\n", "'product_id'")]
    [InlineData("sku,path,category\n", "'product_id', 'image'")]
    public void Open_FailsNamingTheMissingColumns_WhenRequiredColumnsAreAbsent(string header, string missing)
    {
        var manifest = _folder.WriteText("m.csv", header + "p1,a.jpg\n");

        var error = Assert.Throws<ManifestException>(() => Manifests.OpenFile(manifest));

        Assert.Contains($"missing the required column", error.Message);
        Assert.Contains(missing, error.Message);
        Assert.Contains(manifest, error.Message);
    }

    [Fact]
    public void Open_Fails_WhenTheManifestIsEmpty()
    {
        var manifest = _folder.WriteText("m.csv", "");

        var error = Assert.Throws<ManifestException>(() => Manifests.OpenFile(manifest));

        Assert.Contains("is empty", error.Message);
    }

    [Fact]
    public void Open_Fails_WhenAColumnNameRepeats()
    {
        var manifest = _folder.WriteText("m.csv", "product_id,image,Color,color\n");

        var error = Assert.Throws<ManifestException>(() => Manifests.OpenFile(manifest));

        Assert.Contains("'color' twice", error.Message);
    }

    private List<ManifestRow> Read(string csv)
    {
        using var reader = Manifests.OpenFile(_folder.WriteText("manifest.csv", csv));
        return [.. reader.ReadRows()];
    }
}
