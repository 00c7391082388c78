using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Tests.Search;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary><c>Search:Index</c> and <c>Search:GraphVectors</c> as the shard's second index: when, what, how loaded.</summary>
public sealed class ShardIndexFactoryTests
{
    private const int Dimension = 16;

    [Fact]
    public void For_GivesNoSecondIndex_ForFlat()
    {
        Assert.Null(ShardIndexFactory.For(new ShardIndexOptions { Index = ShardIndexKind.Flat }, Dimension, DistanceMetric.Cosine));
    }

    [Fact]
    public void Wants_AGraphFromTheThreshold_ForAuto_AndForAnyImage_ForHnsw()
    {
        var auto = ShardIndexFactory.For(new ShardIndexOptions { Index = ShardIndexKind.Auto, GraphThreshold = 100 }, Dimension, DistanceMetric.L2)!;
        var hnsw = ShardIndexFactory.For(new ShardIndexOptions { Index = ShardIndexKind.Hnsw, GraphThreshold = 100 }, Dimension, DistanceMetric.L2)!;

        Assert.Equal((false, true), (auto.Wants(99), auto.Wants(100)));
        Assert.Equal((false, true), (hnsw.Wants(0), hnsw.Wants(1)));
        Assert.Equal("hnsw", auto.Name);
        Assert.True(auto.CanLoad);
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, HnswVectors.Int8, 2)]
    [InlineData(DistanceMetric.Dot, HnswVectors.Int8, 2)]
    [InlineData(DistanceMetric.L2, HnswVectors.Float, 0)]
    public void Int8Graphs_AreReRankedExactly_AndStayFloatForMetricsCodesCannotServe(DistanceMetric metric, HnswVectors stored, int rerank)
    {
        var factory = ShardIndexFactory.For(new ShardIndexOptions { GraphVectors = HnswVectors.Int8 }, Dimension, metric)!;

        using var index = factory.Create();
        Assert.Equal(stored, Assert.IsType<HnswIndex>(index).Options.Vectors);
        Assert.Equal((Dimension, metric, 0), (index.Dimension, index.Metric, index.ProductCount));
        Assert.Equal(rerank, factory.RerankCandidates);
    }

    [Fact]
    public void Load_ReadsItsOwnSavedForm_AndRefusesAnotherVectorKindOrACorruptPayload_WithAReason()
    {
        var floats = ShardIndexFactory.For(new ShardIndexOptions(), Dimension, DistanceMetric.Cosine)!;
        var int8 = ShardIndexFactory.For(new ShardIndexOptions { GraphVectors = HnswVectors.Int8 }, Dimension, DistanceMetric.Cosine)!;
        var saved = new MemoryStream();
        using (var graph = (IPersistentVectorIndex)floats.Create())
        {
            foreach (var product in SearchTestData.RandomProducts(new Random(3), 50, Dimension))
            {
                graph.Upsert(product.Id, product.Category, product.Flattened());
            }

            graph.Save(saved);
        }

        var (loaded, refused) = floats.Load(new MemoryStream(saved.ToArray()));
        Assert.Null(refused);
        Assert.Equal(50, loaded!.ProductCount);

        var (other, reason) = int8.Load(new MemoryStream(saved.ToArray()));
        Assert.Null(other);
        Assert.Contains("Search:GraphVectors", reason, StringComparison.Ordinal);

        var corrupt = saved.ToArray();
        corrupt[corrupt.Length / 2] ^= 0xFF;
        var (broken, why) = floats.Load(new MemoryStream(corrupt));
        Assert.Null(broken);
        Assert.False(string.IsNullOrWhiteSpace(why));
    }
}
