using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OutfitFinder.Gateway.Apis;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// Product ids as Kestrel hands them over: route values decoded except "%2F", the raw target as sent.
/// The in-memory test server gives no raw target, so these cases are built by hand.
/// </summary>
public sealed class RawSegmentTests
{
    [Theory]
    [InlineData("/v1/catalogs/shop/products/look%2F42%20red", "look%2F42 red", "look/42 red")]
    [InlineData("/v1/catalogs/shop/products/100%252F", "100%2F", "100%2F")]
    [InlineData("/v1/catalogs/shop/products/a%2Fb?x=products", "a%2Fb", "a/b")]
    public void After_DecodesTheIdFromTheRawTarget_WhenTheRouteValueKeptAnEscape(string rawTarget, string routeValue, string expected)
    {
        Assert.Equal(expected, RawSegment.After(Context(rawTarget), "products", routeValue));
    }

    [Fact]
    public void After_TakesTheSegmentAfterTheLastMarker_WhenTheCatalogIsNamedLikeTheMarker()
    {
        var context = Context("/v1/catalogs/products/products/look%2F42");

        Assert.Equal("look/42", RawSegment.After(context, "products", "look%2F42"));
    }

    [Fact]
    public void After_TakesTheIdNotTheImageNumber_OnTheImagesRoute()
    {
        var context = Context("/v1/catalogs/products/products/images%2F1/images/0");

        Assert.Equal("images/1", RawSegment.After(context, "products", "images%2F1"));
    }

    [Fact]
    public void After_ReturnsTheRouteValueUntouched_WhenItHasNoEscape()
    {
        var context = Context("/v1/catalogs/products/products/look%2042");

        Assert.Equal("look 42", RawSegment.After(context, "products", "look 42"));
    }

    private static DefaultHttpContext Context(string rawTarget)
    {
        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        return context;
    }
}
