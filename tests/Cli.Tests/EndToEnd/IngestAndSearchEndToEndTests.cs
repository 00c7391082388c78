using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary><c>outfit ingest</c>, <c>catalog show</c> and <c>search</c> against the real gateway and model.</summary>
public sealed class IngestAndSearchEndToEndTests(IngestedCatalogFixture shop) : IClassFixture<IngestedCatalogFixture>
{
    [Fact]
    public void Ingest_ExitsNonZeroAndUploadsEveryOtherProduct_WhenOneRowNamesAMissingImage()
    {
        var output = shop.Ingest.Output;

        Assert.Equal(1, shop.Ingest.ExitCode);
        // Row 1 is the header and the two-image product takes rows 2 and 3, so the bad row is row 7.
        Assert.Contains($"warning: row 7 (product '{IngestedCatalogFixture.MissingImageProduct}'): image 'coats/missing.jpg' not found", output);
        Assert.Contains("Uploading 4 products (5 images) to catalog e2e-shop", output);
        Assert.Contains("Succeeded: 4 products (4 created, 0 replaced). Failed: 1 products. Bad rows: 1.", output);
        Assert.Contains($"product '{IngestedCatalogFixture.MissingImageProduct}' (row 7): not uploaded, bad row 7", output);
        Assert.DoesNotContain("error:", output);
    }

    [Fact]
    public async Task CatalogShow_CountsTheGoodProductsAndTheirImages_AfterIngest()
    {
        var shown = await shop.RunCliAsync("catalog", "show", IngestedCatalogFixture.Catalog);

        Assert.Equal(0, shown.ExitCode);
        var lines = ConsoleTable.GridLines(shown.Output);
        Assert.Contains("Products 4", lines);
        Assert.Contains("Images 5", lines);
    }

    [Theory]
    [InlineData(IngestedCatalogFixture.TwoImageProduct)]
    [InlineData("skirt-017")]
    [InlineData("trousers-108")]
    public async Task Search_PrintsTheProductFirst_ForItsOwnShopImage(string productId)
    {
        var result = await shop.RunCliAsync(
            "search", "--catalog", IngestedCatalogFixture.Catalog, "--k", "3", shop.ShopImages[productId]);

        Assert.Equal(0, result.ExitCode);
        var hits = ConsoleTable.Hits(result.Output);
        Assert.Equal(["1", "2", "3"], hits.Select(hit => hit[0]));
        Assert.Equal(productId, hits[0][1]);
        Assert.Equal(shop.Categories[productId], hits[0][3]);
        // The query is the stored image itself: cosine similarity 1 up to float rounding, on image 0.
        Assert.Equal(("1.0000", "0"), (hits[0][2], hits[0][4]));
        Assert.Equal(3, hits.Select(hit => hit[1]).Distinct().Count());
        Assert.DoesNotContain(IngestedCatalogFixture.MissingImageProduct, result.Output);
    }
}
