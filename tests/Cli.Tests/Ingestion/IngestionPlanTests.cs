using System.Text.Json;
using OutfitFinder.Cli.Http;
using OutfitFinder.Cli.Ingestion;
using OutfitFinder.Core.Ingestion;

namespace OutfitFinder.Cli.Tests.Ingestion;

public sealed class IngestionPlanTests
{
    [Fact]
    public void FromRows_GroupsRowsOfAProduct_WhenTheyAreNotAdjacent()
    {
        var plan = IngestionPlan.FromRows(
        [
            Row(2, "p1", "/img/p1-front.jpg"),
            Row(3, "p2", "/img/p2.jpg"),
            Row(4, "p1", "/img/p1-back.jpg"),
            Row(5, "p1", "/img/p1-side.jpg"),
        ]);

        Assert.Equal(["p1", "p2"], plan.Products.Select(p => p.Upload.ProductId));
        Assert.Equal(["/img/p1-front.jpg", "/img/p1-back.jpg", "/img/p1-side.jpg"], plan.Products[0].Upload.ImagePaths);
        Assert.Equal([2, 4, 5], plan.Products[0].Rows);
        Assert.Equal(["/img/p2.jpg"], plan.Products[1].Upload.ImagePaths);
        Assert.Empty(plan.BadRows);
        Assert.Empty(plan.Skipped);
    }

    [Fact]
    public void FromRows_MergesCategoryAndMetadata_GivenOnAnyRowOfTheProduct()
    {
        var plan = IngestionPlan.FromRows(
        [
            Row(2, "p1", "/a.jpg", metadata: new() { ["color"] = "\"red\"" }),
            Row(3, "p1", "/b.jpg", category: "Dress", metadata: new() { ["color"] = "\"red\"", ["price"] = "19.9" }),
        ]);

        var upload = Assert.Single(plan.Products).Upload;
        Assert.Equal("Dress", upload.Category);
        Assert.Equal("{\"color\":\"red\",\"price\":19.9}", GatewayClient.MetadataJson(upload.Metadata));
    }

    [Fact]
    public void FromRows_SkipsTheWholeProduct_WhenOneOfItsRowsIsBad()
    {
        var plan = IngestionPlan.FromRows(
        [
            Row(2, "p1", "/a.jpg"),
            Row(3, "p2", "/b.jpg"),
            Row(4, "p1", "/gone.jpg", problem: "image 'gone.jpg' not found"),
        ]);

        Assert.Equal(["p2"], plan.Products.Select(p => p.Upload.ProductId));
        var skipped = Assert.Single(plan.Skipped);
        Assert.Equal("p1", skipped.ProductId);
        Assert.Equal([2, 4], skipped.Rows);
        Assert.Equal([4], skipped.BadRows);
        Assert.Equal(new BadRow(4, "p1", "image 'gone.jpg' not found"), Assert.Single(plan.BadRows));
    }

    [Fact]
    public void FromRows_MarksTheLaterRowBad_WhenRowsOfAProductDisagree()
    {
        var plan = IngestionPlan.FromRows(
        [
            Row(2, "p1", "/a.jpg", category: "Dress", metadata: new() { ["color"] = "\"red\"" }),
            Row(3, "p1", "/b.jpg", category: "Skirt"),
            Row(4, "p1", "/c.jpg", metadata: new() { ["color"] = "\"blue\"" }),
        ]);

        Assert.Empty(plan.Products);
        Assert.Equal([3, 4], Assert.Single(plan.Skipped).BadRows);
        Assert.Equal("category 'Skirt' differs from 'Dress' on row 2", plan.BadRows[0].Reason);
        Assert.Equal("'color' is \"blue\" but \"red\" on row 2", plan.BadRows[1].Reason);
    }

    [Fact]
    public void FromRows_ReportsARowWithoutProductId_AsABadRowOfNoProduct()
    {
        var plan = IngestionPlan.FromRows(
        [
            Row(2, "", "/a.jpg", problem: "'product_id' is empty"),
            Row(3, "p1", "/b.jpg"),
        ]);

        Assert.Equal(["p1"], plan.Products.Select(p => p.Upload.ProductId));
        Assert.Empty(plan.Skipped);
        Assert.Equal(new BadRow(2, null, "'product_id' is empty"), Assert.Single(plan.BadRows));
    }

    [Fact]
    public void FromRows_KeepsProductIds_CaseSensitive()
    {
        var plan = IngestionPlan.FromRows([Row(2, "SKU-1", "/a.jpg"), Row(3, "sku-1", "/b.jpg")]);

        Assert.Equal(["SKU-1", "sku-1"], plan.Products.Select(p => p.Upload.ProductId));
    }

    private static ManifestRow Row(
        int row, string productId, string image, string? category = null, Dictionary<string, string>? metadata = null, string? problem = null)
    {
        var values = (metadata ?? []).ToDictionary(m => m.Key, m => JsonDocument.Parse(m.Value).RootElement.Clone());
        return new ManifestRow(row, productId, image, category, values, problem is null ? [] : [problem]);
    }
}
