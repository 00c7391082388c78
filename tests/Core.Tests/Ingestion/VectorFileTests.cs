using OutfitFinder.Core.Ingestion;
using static OutfitFinder.TestSupport.VectorFiles;

namespace OutfitFinder.Core.Tests.Ingestion;

/// <summary>Vector files a manifest names: raw float32 and .npy, of one vector or many, and every way one can be wrong.</summary>
public sealed class VectorFileTests
{
    [Fact]
    public async Task ReadAsync_ReturnsTheVector_OfARawFloat32FileOfOne()
    {
        var (file, problem) = await OpenAsync(Raw(1, -2.5f, 3, 0.25f), "v.f32", dimension: 4);

        var (vector, readProblem) = await file!.ReadAsync(null, CancellationToken.None);

        Assert.Null(problem ?? readProblem);
        Assert.Equal(new[] { 1f, -2.5f, 3f, 0.25f }, vector);
    }

    [Fact]
    public async Task ReadAsync_ReturnsTheNamedRows_OfANpyMatrix_InAnyOrder()
    {
        var (file, problem) = await OpenAsync(Npy([3, 2], [0, 1, 10, 11, 20, 21]), "m.npy", dimension: 2);

        var last = (await file!.ReadAsync(2, CancellationToken.None)).Vector;
        var first = (await file.ReadAsync(0, CancellationToken.None)).Vector;

        Assert.Null(problem);
        Assert.Equal(3, file.Rows);
        Assert.Equal(new[] { 20f, 21f }, last);
        Assert.Equal(new[] { 0f, 1f }, first);
    }

    [Fact]
    public async Task ReadAsync_ReadsA1DNpy_AsOneVector()
    {
        var (file, _) = await OpenAsync(Npy([3], [7, 8, 9]), "one.npy", dimension: 3);

        var vector = (await file!.ReadAsync(null, CancellationToken.None)).Vector;

        Assert.Equal(new[] { 7f, 8f, 9f }, vector);
    }

    [Theory]
    [InlineData("v.f32", "is 12 bytes, not a whole number of 4-value float32 vectors")]
    [InlineData("v.npy", "not a .npy file")]
    [InlineData("v.txt", "is not .f32, .bin (raw little-endian float32) or .npy")]
    public async Task OpenAsync_RefusesAFile_ThatCannotHoldVectorsOfTheDimension(string name, string expected)
    {
        var (file, problem) = await OpenAsync(Raw(1, 2, 3), name, dimension: 4);

        Assert.Null(file);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public async Task OpenAsync_RefusesANpy_OfAnotherDimension_DtypeOrLength()
    {
        var (_, wrongDimension) = await OpenAsync(Npy([2, 3], new float[6]), "m.npy", dimension: 4);
        var (_, float64) = await OpenAsync(Npy([4], new float[8], descr: "<f8"), "d.npy", dimension: 4);
        var truncated = Npy([2, 4], new float[8]);
        var (_, shortFile) = await OpenAsync(truncated[..^4], "t.npy", dimension: 4);

        Assert.Contains("holds vectors of 3 values; the catalog uses dimension 4", wrongDimension);
        Assert.Contains("holds '<f8' values; save it as little-endian float32", float64);
        Assert.Contains("is truncated: its header promises 2 × 4 float32 values, it holds 7", shortFile);
    }

    [Fact]
    public async Task ReadAsync_RefusesNaN_ARowOutOfRange_AndAFileOfManyWithoutARow()
    {
        var (file, _) = await OpenAsync(Raw(1, 2, float.NaN, 4, 5, 6), "m.bin", dimension: 2);

        var nan = (await file!.ReadAsync(1, CancellationToken.None)).Problem;
        var outOfRange = (await file.ReadAsync(3, CancellationToken.None)).Problem;
        var noRow = (await file.ReadAsync(null, CancellationToken.None)).Problem;
        var good = (await file.ReadAsync(2, CancellationToken.None)).Vector;

        Assert.Contains("row 1: value 0 is NaN, not a finite number", nan);
        Assert.Contains("'vector_row' is 3; vector file 'm.bin' holds rows 0 to 2", outOfRange);
        Assert.Contains("holds 3 vectors of 2 values; name one with 'vector_row'", noRow);
        Assert.Equal(new[] { 5f, 6f }, good);
    }

    [Fact]
    public void Read_TakesAVectorFileAndRow_FromCsvAndJsonLines_AndRefusesBadOnes()
    {
        using var csv = Manifests.Open(new StringReader(
            "product_id,vector_file,vector_row,price\na,v/a.f32,,10\nb,all.npy,7,\nc,all.npy,-1,\nd,a.png,,\ne,,,\n"),
            "manifests/m.csv", ManifestImages.InSource("manifests"));
        var rows = csv.ReadRows().ToList();
        using var lines = Manifests.Open(new StringReader(
            """
            {"product_id":"f","vector_file":"all.npy","vector_row":3}
            {"product_id":"g","vector_file":"all.npy","vector":[1,2]}
            {"product_id":"h","vector_file":"all.npy","vector_row":"3"}
            """), "m.jsonl", ManifestImages.InSource(""));
        var jsonRows = lines.ReadRows().ToList();

        Assert.Equal((new VectorFileRef("manifests/v/a.f32", null), "10"), (rows[0].VectorFile, rows[0].Metadata["price"].GetRawText()));
        Assert.True(rows[0].GivesVector);
        Assert.Equal(new VectorFileRef("manifests/all.npy", 7), rows[1].VectorFile);
        Assert.Contains("'vector_row' is '-1'; give a row number from 0", rows[2].Problems.Single());
        Assert.Contains("'vector_file' 'a.png' is not .f32", rows[3].Problems.Single());
        Assert.Contains("'image' and 'vector_file' are empty", rows[4].Problems.Single());
        Assert.Equal(new VectorFileRef("all.npy", 3), jsonRows[0].VectorFile);
        Assert.Contains("gives both 'vector' and 'vector_file'", jsonRows[1].Problems.Single());
        Assert.Contains("'vector_row' is a string", jsonRows[2].Problems.Single());
    }

    [Fact]
    public void Read_RefusesAProductThatMixesVectorFilesAndImages()
    {
        using var csv = Manifests.Open(new StringReader("product_id,image,vector_file\na,,a.f32\na,1.jpg,\n"), "m.csv", ManifestImages.InSource(""));
        var groups = ManifestGroups.Read(csv.ReadRows()).ToList();

        Assert.False(groups[0].IsIngestible);
        Assert.Contains("row 3 gives an image but row 2 of the product gives a vector", Assert.Single(groups[0].Failures).Reason);
    }

    private static Task<(VectorFile? File, string? Problem)> OpenAsync(byte[] content, string name, int dimension) =>
        VectorFile.OpenAsync(new MemoryStream(content), name, dimension, CancellationToken.None);
}
