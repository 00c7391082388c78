using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;

namespace OutfitFinder.Core.Tests.Localisation;

public sealed class QueryRegionsTests
{
    [Theory]
    [InlineData(LocalisationMode.None, 1)]
    [InlineData(LocalisationMode.Fast, 5)]
    [InlineData(LocalisationMode.Thorough, 14)]
    public void Plan_StartsWithTheWholePhoto_AndKeepsEveryCropInside(LocalisationMode mode, int count)
    {
        var regions = QueryRegions.Plan(400, 533, mode);

        Assert.Equal(count, regions.Count);
        Assert.Equal(new ImageBox(0, 0, 400, 533), regions[0]);
        Assert.All(regions, r => Assert.Null(r.OutsideReason(400, 533)));
    }

    [Fact]
    public void Plan_CoversTheCornersOfTheRegion_AndTheThoroughPlanExtendsTheFastOne()
    {
        var fast = QueryRegions.Plan(400, 300, LocalisationMode.Fast);
        var thorough = QueryRegions.Plan(400, 300, LocalisationMode.Thorough);

        Assert.Equal(fast, thorough.Take(fast.Count));
        Assert.Contains(new ImageBox(0, 0, 260, 195), fast);
        Assert.Contains(new ImageBox(140, 105, 260, 195), fast);
    }

    [Fact]
    public void Plan_WithABox_CropsInsideTheBoxOnly()
    {
        var box = new ImageBox(100, 50, 200, 100);

        var regions = QueryRegions.Plan(640, 480, LocalisationMode.Thorough, box);

        Assert.Equal(box, regions[0]);
        Assert.All(regions, r => Assert.True(r.X >= 100 && r.Y >= 50 && r.X + r.Width <= 300 && r.Y + r.Height <= 150, r.ToString()));
    }

    [Fact]
    public void Plan_LeavesOutCropsSmallerThanTheMinimum()
    {
        var regions = QueryRegions.Plan(30, 30, LocalisationMode.Thorough);

        Assert.All(regions, r => Assert.True(r.Width >= QueryRegions.MinCropSide && r.Height >= QueryRegions.MinCropSide, r.ToString()));
        Assert.Equal(5, regions.Count);
    }

    [Theory]
    [InlineData("none", LocalisationMode.None)]
    [InlineData("FAST", LocalisationMode.Fast)]
    [InlineData(" thorough ", LocalisationMode.Thorough)]
    public void TryParse_ReadsTheNames_InAnyCase(string text, LocalisationMode expected)
    {
        Assert.True(QueryRegions.TryParse(text, out var mode, out var error));
        Assert.Equal(expected, mode);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("max")]
    [InlineData(null)]
    public void TryParse_NamesTheAcceptedValues_WhenTheTextIsUnknown(string? text)
    {
        Assert.False(QueryRegions.TryParse(text, out _, out var error));
        Assert.Contains("none, fast, thorough", error, StringComparison.Ordinal);
    }
}
