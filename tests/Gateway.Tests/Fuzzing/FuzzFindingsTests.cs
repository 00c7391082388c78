using System.Text;

namespace OutfitFinder.Gateway.Tests.Fuzzing;

/// <summary>What <see cref="FuzzTests"/> found answered with a 500, pinned as plain cases so they stay fixed.</summary>
public sealed class FuzzFindingsTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("/v1/catalogs/fuzz%0A")]
    [InlineData("/v1/catalogs/fuzz%0A/vectors")]
    [InlineData("/v1/catalogs/fuzz/ingestions/job%0A")]
    public async Task Get_Answers4xx_ForANameEndingInANewline(string path)
    {
        using var response = await fixture.Http.GetAsync(path);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Fact]
    public async Task Search_Answers415NamingTheCharset_ForAnUnknownCharset()
    {
        (await fixture.Http.CreateCatalogAsync("charsets", new { shards = 1 })).EnsureSuccessStatusCode();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"vector\": [1]}"));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=x-fuzz-42");

        using var response = await fixture.Http.PostAsync("/v1/catalogs/charsets/search", content);

        Assert.Contains("x-fuzz-42", await response.AssertProblemAsync(415));
    }
}
