using System.Globalization;
using OutfitFinder.Core.Filters;

namespace OutfitFinder.Core.Tests.Filters;

/// <summary>The filter language: each operator, nesting, and the errors that name what is wrong.</summary>
public sealed class MetadataFilterParserTests
{
    private static readonly FieldSchema Schema = new(new Dictionary<string, FieldType>
    {
        ["price"] = FieldType.Number,
        ["brand"] = FieldType.String,
    });

    private static bool Matches(string filter, double? price, string? brand)
    {
        Assert.True(MetadataFilterParser.TryParse(filter, Schema, out var parsed, out var error), error);
        var metadata = $"{{{string.Join(",", new[] { price is null ? null : $"\"price\":{price.Value.ToString(CultureInfo.InvariantCulture)}", brand is null ? null : $"\"brand\":\"{brand}\"" }.Where(p => p is not null))}}}";
        return parsed!.Matches(Schema.Extract(metadata));
    }

    [Theory]
    [InlineData("""{"brand":"acme"}""", 10.0, "acme", true)]
    [InlineData("""{"brand":"acme"}""", 10.0, "zen", false)]
    [InlineData("""{"brand":{"eq":"zen"}}""", 10.0, "zen", true)]
    [InlineData("""{"price":10}""", 10.0, "zen", true)]
    [InlineData("""{"brand":{"in":["acme","zen"]}}""", 10.0, "zen", true)]
    [InlineData("""{"brand":{"in":["acme","zen"]}}""", 10.0, "other", false)]
    [InlineData("""{"price":{"in":[5,10]}}""", 10.0, null, true)]
    [InlineData("""{"price":{"lt":10}}""", 10.0, null, false)]
    [InlineData("""{"price":{"lte":10}}""", 10.0, null, true)]
    [InlineData("""{"price":{"gt":10}}""", 10.0, null, false)]
    [InlineData("""{"price":{"gte":10}}""", 10.0, null, true)]
    [InlineData("""{"price":{"gte":5,"lt":20}}""", 10.0, null, true)]
    [InlineData("""{"price":{"gte":5,"lt":20}}""", 20.0, null, false)]
    [InlineData("""{"price":{"lt":50}}""", null, "acme", false)]
    [InlineData("""{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}""", 49.0, "acme", true)]
    [InlineData("""{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}""", 51.0, "acme", false)]
    [InlineData("""{"or":[{"price":{"lt":5}},{"brand":"zen"}]}""", 51.0, "zen", true)]
    [InlineData("""{"or":[{"price":{"lt":5}},{"and":[{"brand":"zen"},{"price":{"gt":60}}]}]}""", 51.0, "zen", false)]
    [InlineData("""{"price":{"lt":50},"brand":"acme"}""", 10.0, "zen", false)]
    public void TryParse_MatchesLikeTheLanguageSays_ForEachOperatorAndNesting(string filter, double? price, string? brand, bool expected) =>
        Assert.Equal(expected, Matches(filter, price, brand));

    [Theory]
    [InlineData("""{"colour":"red"}""", "'colour'")]
    [InlineData("""{"price":"cheap"}""", "'price' is declared number")]
    [InlineData("""{"brand":7}""", "'brand' is declared string")]
    [InlineData("""{"brand":{"lt":"m"}}""", "'lt' needs a number field")]
    [InlineData("""{"price":{"near":5}}""", "Unknown operator 'near'")]
    [InlineData("""{"brand":{"in":[]}}""", "'in'")]
    [InlineData("""{"and":{}}""", "'and' takes a non-empty array")]
    [InlineData("""{}""", "empty object")]
    [InlineData("""[1,2]""", "JSON object")]
    [InlineData("""{"price":""", "not valid JSON")]
    public void TryParse_FailsWithAReasonNamingIt_ForBadFilters(string filter, string named)
    {
        Assert.False(MetadataFilterParser.TryParse(filter, Schema, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_RoundTripsToAnEquivalentFilter()
    {
        Assert.True(MetadataFilterParser.TryParse("""{"and":[{"price":{"gt":1,"lte":9}},{"or":[{"brand":"a"},{"brand":{"in":["b","c"]}}]}]}""",
            Schema, out var parsed, out _));

        Assert.True(MetadataFilterParser.TryParse(parsed!.ToJson(), Schema, out var again, out var error), error);
        foreach (var (price, brand) in new[] { (5.0, "a"), (5.0, "c"), (1.0, "a"), (9.0, "b"), (9.5, "b"), (5.0, "d") })
        {
            var values = Schema.Extract(string.Create(CultureInfo.InvariantCulture, $"{{\"price\":{price},\"brand\":\"{brand}\"}}"));
            Assert.Equal(parsed.Matches(values), again!.Matches(values));
        }
    }
}
