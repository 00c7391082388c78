using System.Text.Json;
using OutfitFinder.Cli.Study;

namespace OutfitFinder.Cli.Tests.Study;

public sealed class StudyJsonTests
{
    [Fact]
    public void ToJson_CountsEachQueryAsAHitFromItsRankOn_OverallAndPerCategory()
    {
        // Ranks past 20 and not-found (rank fusion's int.MaxValue) are misses.
        var json = StudyJson.ToJson([("resnet18-rmac, thorough", [1, 3, int.MaxValue, 25])], ["Dress", "Dress", "Pants", "Pants"]);

        using var document = JsonDocument.Parse(json);
        var entry = Assert.Single(document.RootElement.GetProperty("catalogs").EnumerateArray());
        Assert.Equal("resnet18-rmac, thorough", entry.GetProperty("catalog").GetString());
        Assert.Equal(Enumerable.Range(1, 20), entry.GetProperty("k").EnumerateArray().Select(k => k.GetInt32()));
        var overall = entry.GetProperty("overall");
        Assert.Equal(4, overall.GetProperty("queries").GetInt32());
        Assert.Equal(0.25, overall.GetProperty("accuracy").GetProperty("1").GetDouble());
        Assert.Equal(0.25, overall.GetProperty("accuracy").GetProperty("2").GetDouble());
        Assert.Equal(0.5, overall.GetProperty("accuracy").GetProperty("3").GetDouble());
        Assert.Equal(0.5, overall.GetProperty("accuracy").GetProperty("20").GetDouble());
        Assert.Equal((1 + (1 / 3.0)) / 4, overall.GetProperty("mrr").GetDouble(), 1e-12);
        var categories = entry.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("category").GetString()!);
        Assert.Equal(0.5, categories["Dress"].GetProperty("accuracy").GetProperty("1").GetDouble());
        Assert.Equal(1.0, categories["Dress"].GetProperty("accuracy").GetProperty("20").GetDouble());
        Assert.Equal(0.0, categories["Pants"].GetProperty("accuracy").GetProperty("20").GetDouble());
    }

    [Theory]
    [InlineData("avg", "none", "-", "-", "resnet18, none")]
    [InlineData("rmac", "thorough", "max", "-", "resnet18-rmac, thorough")]
    [InlineData("gem", "fast", "rank", "-", "resnet18-gem, fast, rank fusion")]
    [InlineData("avg", "fast", "max", "query expansion (top 2)", "resnet18, fast, query expansion (top 2)")]
    [InlineData("rmac + resnet18-rmac-street", "thorough", "max", "-", "resnet18-rmac-street, thorough")]
    [InlineData("rmac + street", "fast", "max", "-", "rmac + street, fast")]
    [InlineData("gem + resnet18-rmac-street", "none", "max", "-", "gem + resnet18-rmac-street, none")]
    [InlineData("avg + head", "none", "max", "-", "resnet18 + head, none")]
    public void SeriesName_NamesTheServedModelAndOnlyWhatTheGatewayDoesNotDoByDefault(string space, string localise, string fusion, string rerank, string expected)
    {
        Assert.Equal(expected, StudyJson.SeriesName(space, localise, fusion, rerank));
    }
}
