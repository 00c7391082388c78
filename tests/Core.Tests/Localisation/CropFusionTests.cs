using OutfitFinder.Core.Localisation;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Localisation;

public sealed class CropFusionTests
{
    private static readonly IReadOnlyList<IReadOnlyList<IndexHit>> Crops =
    [
        // The whole photo: mostly the scene around the garment.
        [Hit("scene", 0.90f), Hit("b", 0.70f), Hit("garment", 0.60f)],
        // A crop on the garment.
        [Hit("garment", 0.95f), Hit("b", 0.80f), Hit("c", 0.50f)],
        // Another crop.
        [Hit("b", 0.85f), Hit("c", 0.84f), Hit("garment", 0.70f)],
    ];

    [Fact]
    public void Fuse_Max_RanksEachProductByItsBestCrop_AndKeepsItOnce()
    {
        var fused = CropFusion.Fuse(Crops, 3, DistanceMetric.Cosine, CropFusionKind.Max, h => h);

        Assert.Equal(["garment", "scene", "b"], fused.Select(h => h.ProductId));
        Assert.Equal(0.95f, fused[0].Score);
    }

    [Fact]
    public void Fuse_Rank_FavoursProductsSeenHighByManyCrops()
    {
        var fused = CropFusion.Fuse(Crops, 4, DistanceMetric.Cosine, CropFusionKind.Rank, h => h);

        // b: ranks 2, 2, 1; garment: 3, 1, 3; c: 3, 2; scene: 1.
        Assert.Equal(["b", "garment", "c", "scene"], fused.Select(h => h.ProductId));
    }

    [Fact]
    public void Fuse_Max_UnderL2_TakesTheSmallestDistance()
    {
        IReadOnlyList<IReadOnlyList<IndexHit>> crops = [[Hit("a", 0.5f), Hit("b", 0.9f)], [Hit("b", 0.1f)]];

        var fused = CropFusion.Fuse(crops, 2, DistanceMetric.L2, CropFusionKind.Max, h => h);

        Assert.Equal(["b", "a"], fused.Select(h => h.ProductId));
    }

    private static IndexHit Hit(string id, float score) => new(id, 0, score);
}
