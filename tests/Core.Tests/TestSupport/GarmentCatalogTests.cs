using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.TestSupport;

public sealed class GarmentCatalogTests
{
    [Fact]
    public void Generate_ReturnsSameCatalog_ForSameSeed()
    {
        Assert.Equal(GarmentCatalog.Generate(50, 9), GarmentCatalog.Generate(50, 9));
    }

    [Fact]
    public void Generate_ReturnsDifferentCatalog_ForDifferentSeed()
    {
        Assert.NotEqual(GarmentCatalog.Generate(50, 9), GarmentCatalog.Generate(50, 10));
    }

    [Fact]
    public void Generate_NumbersProductsAndBalancesKinds()
    {
        var catalog = GarmentCatalog.Generate(200, 1);

        Assert.Equal(Enumerable.Range(1, 200).Select(i => $"p{i:D4}"), catalog.Select(item => item.ProductId));
        Assert.All(
            catalog.GroupBy(item => item.Spec.Category),
            group => Assert.Equal(50, group.Count()));
        Assert.Equal(["Dress", "Skirt", "Top", "Trousers"], catalog.Select(item => item.Spec.Category).Distinct().Order());
    }

    [Fact]
    public void Generate_ReturnsDistinctAndVariedSpecs()
    {
        var specs = GarmentCatalog.Generate(400, 2).Select(item => item.Spec).ToList();

        Assert.Equal(specs.Count, specs.Distinct().Count());
        Assert.Equal(specs.Count, specs.Select(s => (s.Kind, s.Colour, s.Pattern, s.PatternColour)).Distinct().Count());
        Assert.All(Enum.GetValues<GarmentPattern>(), p => Assert.True(specs.Count(s => s.Pattern == p) > 40, $"{p} is rare."));
        Assert.True(specs.Select(s => s.Colour).Distinct().Count() > 300);
    }
}
