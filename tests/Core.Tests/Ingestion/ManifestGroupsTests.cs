using OutfitFinder.Core.Ingestion;

namespace OutfitFinder.Core.Tests.Ingestion;

/// <summary>Streamed manifests: JSON Lines rows, source-relative image paths, and products made of consecutive rows.</summary>
public sealed class ManifestGroupsTests
{
    private static List<ManifestGroup> Groups(string csv, int afterRow = 0)
    {
        using var reader = Manifests.Open(new StringReader(csv), "manifests/m.csv", ManifestImages.InSource("manifests"));
        return ManifestGroups.Read(reader.ReadRows(), afterRow).ToList();
    }

    [Fact]
    public void Read_GroupsConsecutiveRowsIntoProducts_AndResolvesImagesInsideTheSource()
    {
        var groups = Groups("product_id,image,category,colour\na,1.jpg,Dress,red\na,/shared/2.jpg,,\nb,3.jpg,Top,\n");

        Assert.Equal(2, groups.Count);
        Assert.Equal(["manifests/1.jpg", "shared/2.jpg"], groups[0].Product!.Images);
        Assert.Equal((3, "Dress", true), (groups[0].LastRow, groups[0].Product!.Category, groups[0].IsIngestible));
        Assert.Equal("red", groups[0].Product!.Metadata()["colour"].GetString());
        Assert.Equal((4, 1), (groups[1].LastRow, groups[1].RowCount));
    }

    [Fact]
    public void Read_ReportsBadRows_WithoutStopping()
    {
        var groups = Groups("product_id,image,category\n,x.jpg,\na,../escape.jpg,\nb,1.jpg,Dress\nb,2.jpg,Top\nc,3.jpg,\nb,4.jpg,Dress\n");

        Assert.Contains("'product_id' is empty", Assert.Single(groups[0].Failures).Reason);
        Assert.Null(groups[0].Product);
        Assert.Contains("'..'", Assert.Single(groups[1].Failures).Reason);
        Assert.False(groups[1].IsIngestible);
        var b = groups[2];
        Assert.Equal((5, 2), (b.Failures.Single().Row, b.RowCount));
        Assert.Contains("category 'Top' differs from 'Dress' on row 4", b.Failures.Single().Reason);
        Assert.True(groups[3].IsIngestible);
        Assert.Contains("must be consecutive", Assert.Single(groups[4].Failures).Reason);
        Assert.Equal(7, groups[4].LastRow);
    }

    [Fact]
    public void Read_AfterARow_SkipsEverythingAlreadyDone_ButStillKnowsEarlierProducts()
    {
        var groups = Groups("product_id,image\na,1.jpg\nb,2.jpg\nb,3.jpg\nc,4.jpg\na,5.jpg\n", afterRow: 4);

        Assert.Equal(["c", null], groups.Select(g => g.Product?.ProductId));
        Assert.Contains("must be consecutive", groups[1].Failures.Single().Reason);
    }

    [Fact]
    public void JsonLines_ReadsTheSameFields_AndFlagsLinesThatAreNotRows()
    {
        const string text = """
            {"product_id":"a","image":"1.jpg","category":"Dress","price":19.5,"brand":"Acme"}

            {"product_id":"a","image":"2.jpg"}
            not json
            [1,2]
            {"product_id":7,"image":"3.jpg"}
            {"product_id":"b","image":"4.jpg","tags":["x"]}
            """;
        using var reader = Manifests.Open(new StringReader(text), "m.jsonl", ManifestImages.InSource(""));
        var rows = reader.ReadRows().ToList();

        Assert.Equal([1, 3, 4, 5, 6, 7], rows.Select(r => r.RowNumber));
        Assert.Equal(("a", "1.jpg", "Dress"), (rows[0].ProductId, rows[0].ImagePath, rows[0].Category));
        Assert.Equal(19.5, rows[0].Metadata["price"].GetDouble());
        Assert.Empty(rows[0].Problems);
        Assert.Contains("not valid JSON", rows[2].Problems.Single());
        Assert.Contains("not a JSON object", rows[3].Problems.Single());
        Assert.Contains("'product_id' is a number", rows[4].Problems[0]);
        Assert.Contains("metadata 'tags' is a array", rows[5].Problems.Single());
    }

    [Fact]
    public void Read_TakesVectorsMadeElsewhere_FromAVectorColumnOrField_InsteadOfImages()
    {
        var csv = Groups("product_id,vector,category,price\na,\"[1, 2.5, -3]\",Dress,49\na,0.5 0.25 0,,\nb,1 x 3,,\nc,,,\n");
        using var lines = Manifests.Open(new StringReader("""{"product_id":"d","vector":[1,2,3],"price":5}""" + "\n"), "manifests/m.jsonl",
            ManifestImages.InSource("manifests"));
        var jsonl = ManifestGroups.Read(lines.ReadRows(), 0).ToList();

        var a = csv[0].Product!;
        Assert.True(csv[0].IsIngestible && a.HasVectors);
        Assert.Equal([[1f, 2.5f, -3f], [0.5f, 0.25f, 0f]], a.Vectors.Select(vector => vector!).ToArray());
        Assert.Equal(49, a.Metadata()["price"].GetInt32());
        Assert.DoesNotContain("vector", a.Metadata().Keys);
        Assert.Contains("not a finite number", Assert.Single(csv[1].Failures).Reason);
        Assert.Contains("'image' and 'vector' are empty", Assert.Single(csv[2].Failures).Reason);
        Assert.Equal([1f, 2f, 3f], jsonl[0].Product!.Vectors[0]!);
    }

    [Fact]
    public void Read_RefusesAProductThatMixesVectorsAndImages()
    {
        var groups = Groups("product_id,image,vector\na,1.jpg,\na,,1 2 3\n");

        Assert.False(groups[0].IsIngestible);
        Assert.Contains("give vectors for all of a product's rows or for none", Assert.Single(groups[0].Failures).Reason);
    }
}
