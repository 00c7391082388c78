using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class TopKMergeTests
{
    [Fact]
    public void Merge_FollowsTheDocumentedWorkedExample()
    {
        IReadOnlyList<IndexHit>[] shards =
        [
            [new("a", 0, 0.91f), new("c", 0, 0.80f)],
            [new("b", 0, 0.91f), new("a", 2, 0.85f), new("d", 0, 0.75f)],
        ];

        var merged = TopKMerge.Merge(shards, 3, DistanceMetric.Cosine, hit => hit);

        Assert.Equal([new("a", 0, 0.91f), new("b", 0, 0.91f), new IndexHit("c", 0, 0.80f)], merged);
    }

    [Fact]
    public void Merge_TakesLowestDistanceFirst_ForDistanceMetrics()
    {
        IReadOnlyList<IndexHit>[] shards =
        [
            [new("a", 0, 1f), new("c", 0, 4f)],
            [new("b", 0, 2f), new("d", 0, 3f)],
        ];

        var merged = TopKMerge.Merge(shards, 10, DistanceMetric.L1, hit => hit);

        Assert.Equal(["a", "b", "d", "c"], merged.Select(hit => hit.ProductId));
    }

    [Fact]
    public void Merge_KeepsEachProductOnceAtItsBestRank_WhenListsOverlap()
    {
        IReadOnlyList<IndexHit>[] shards =
        [
            [new("x", 0, 0.3f), new("y", 1, 0.2f)],
            [new("y", 0, 0.9f), new("x", 0, 0.1f)],
            [new("y", 3, 0.4f)],
        ];

        var merged = TopKMerge.Merge(shards, 5, DistanceMetric.Dot, hit => hit);

        Assert.Equal([new("y", 0, 0.9f), new IndexHit("x", 0, 0.3f)], merged);
    }

    [Fact]
    public void Merge_BreaksTiesByOrdinalId_AcrossLists()
    {
        IReadOnlyList<IndexHit>[] shards =
        [
            [new("B", 0, 1f), new("b", 0, 1f)],
            [new("C", 0, 1f), new("a", 0, 1f)],
            [new("A", 0, 1f), new("c", 0, 1f)],
        ];

        var merged = TopKMerge.Merge(shards, 5, DistanceMetric.L2, hit => hit);

        // Ordinal: every upper-case letter sorts before every lower-case one.
        Assert.Equal(["A", "B", "C", "a", "b"], merged.Select(hit => hit.ProductId));
    }

    [Fact]
    public void Merge_StopsAtK_AndReturnsWhatThereIs_WhenListsRunShort()
    {
        IReadOnlyList<IndexHit>[] shards = [[new("a", 0, 5f), new("b", 0, 4f)], [], [new("c", 0, 3f)]];

        Assert.Equal(["a"], TopKMerge.Merge(shards, 1, DistanceMetric.Dot, hit => hit).Select(hit => hit.ProductId));
        Assert.Equal(["a", "b", "c"],
            TopKMerge.Merge(shards, 50, DistanceMetric.Dot, hit => hit).Select(hit => hit.ProductId));
        Assert.Empty(TopKMerge.Merge(Array.Empty<IReadOnlyList<IndexHit>>(), 5, DistanceMetric.Dot, hit => hit));
    }

    [Fact]
    public void Merge_ReturnsCallersElements_WhenKeyProjectsThem()
    {
        IReadOnlyList<(IndexHit Hit, string Shard)>[] shards =
        [
            [(new("a", 0, 0.2f), "s0")],
            [(new("b", 0, 0.7f), "s1")],
        ];

        var merged = TopKMerge.Merge(shards, 2, DistanceMetric.Cosine, item => item.Hit);

        Assert.Equal(["s1", "s0"], merged.Select(item => item.Shard));
    }

    [Fact]
    public void Merge_Throws_WhenKIsBelowOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => TopKMerge.Merge(Array.Empty<IReadOnlyList<IndexHit>>(), 0, DistanceMetric.Dot, hit => hit));
    }
}
