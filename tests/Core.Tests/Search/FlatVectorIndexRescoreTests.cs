using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// Re-ranking candidates exactly: the named products scored as the scan scores them, so an approximate index's
/// candidates come back in the exact order with the exact scores.
/// </summary>
public sealed class FlatVectorIndexRescoreTests
{
    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void Rescore_OfEveryProduct_EqualsTheSearch(DistanceMetric metric)
    {
        var random = new Random(31);
        var products = SearchTestData.RandomProducts(random, 300, dimension: 24);
        var flat = SearchTestData.IndexOf(products, 24, metric);

        for (var q = 0; q < 10; q++)
        {
            var query = SearchTestData.RandomVector(random, 24);
            var shuffled = products.Select(product => product.Id).OrderBy(_ => random.Next()).ToList();

            Assert.Equal(flat.Search(query, 15), flat.Rescore(query, shuffled, 15));
        }
    }

    [Fact]
    public void Rescore_OfSomeProducts_RanksOnlyThem_AndSkipsUnknownAndRepeatedIds()
    {
        var random = new Random(32);
        var products = SearchTestData.RandomProducts(random, 200, dimension: 16);
        var flat = SearchTestData.IndexOf(products, 16, DistanceMetric.Cosine);
        var query = SearchTestData.RandomVector(random, 16);
        var all = flat.Search(query, 200);

        // Every other product of the exact ranking, in reverse, with an unknown id and a repeat mixed in.
        var chosen = all.Where((_, i) => i % 2 == 1).Select(hit => hit.ProductId).Reverse().ToList();
        chosen.Insert(3, "no-such-product");
        chosen.Add(chosen[0]);

        var rescored = flat.Rescore(query, chosen, 10);

        Assert.Equal(all.Where((_, i) => i % 2 == 1).Take(10), rescored);
    }

    [Fact]
    public void Rescore_RefusesABadQueryOrK()
    {
        var flat = SearchTestData.IndexOf(SearchTestData.RandomProducts(new Random(1), 5, dimension: 4), 4, DistanceMetric.Dot);

        Assert.Throws<ArgumentOutOfRangeException>(() => flat.Rescore([1f, 0f, 0f, 0f], ["a"], 0));
        Assert.Throws<ArgumentException>(() => flat.Rescore([1f, float.NaN, 0f, 0f], ["a"], 3));
        Assert.Throws<ArgumentException>(() => flat.Rescore([1f, 0f], ["a"], 3));
    }
}
