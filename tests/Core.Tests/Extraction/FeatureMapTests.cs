using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>The ResNet18 activation map exposed by editing the graph, and the poolings of such maps.</summary>
[Collection(ResNet18Collection.Name)]
public sealed class FeatureMapTests(ResNet18Fixture fixture)
{
    [Fact]
    public void RunFeatureMap_AveragedAndNormalised_EqualsTheShippedPooledVector()
    {
        using var withMap = ResNet18Embedder.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance, exposeFeatureMap: true);
        using var dress = TestPictures.StripedDress(256);
        using var trousers = TestPictures.PlainTrousers(300);
        var inputs = new float[2 * withMap.InputLength];
        withMap.Preprocess(dress, inputs.AsSpan(0, withMap.InputLength));
        withMap.Preprocess(trousers, inputs.AsSpan(withMap.InputLength));

        var maps = withMap.RunFeatureMap(inputs);
        var shipped = fixture.Embedder.Run(inputs);

        Assert.Equal(2 * 512 * 49, maps.Length);
        for (var image = 0; image < 2; image++)
        {
            var pooled = new float[512];
            FeatureMapPooling.Pool(maps.AsSpan(image * 512 * 49, 512 * 49), 512, 7, 7, FeatureMapPoolingKind.Average, pooled);
            var cosine = TensorPrimitives.Dot(pooled, shipped.AsSpan(image * 512, 512));
            Assert.True(cosine > 0.99999, $"image {image}: cosine {cosine:F6}");
        }
    }

    [Fact]
    public void RunFeatureMap_Throws_WhenTheEmbedderWasCreatedWithoutIt() =>
        Assert.Throws<InvalidOperationException>(() => fixture.Embedder.RunFeatureMap(new float[fixture.Embedder.InputLength]));

    [Theory]
    [InlineData(FeatureMapPoolingKind.Average)]
    [InlineData(FeatureMapPoolingKind.Gem)]
    [InlineData(FeatureMapPoolingKind.Rmac)]
    [InlineData(FeatureMapPoolingKind.SalientAverage)]
    public void Pool_ReturnsAUnitVector_ThatFollowsTheStrongestChannel(FeatureMapPoolingKind kind)
    {
        // Channel 1 is strong everywhere, channel 0 weak: every pooling must rank channel 1 first.
        var map = new float[3 * 7 * 7];
        for (var i = 0; i < 49; i++)
        {
            map[i] = 0.1f;
            map[49 + i] = 2f;
        }

        var pooled = new float[3];
        FeatureMapPooling.Pool(map, 3, 7, 7, kind, pooled);

        Assert.Equal(1.0, Math.Sqrt(pooled.Sum(v => v * v)), 4);
        Assert.True(pooled[1] > pooled[0] && pooled[0] > pooled[2] - 1e-3f, string.Join(", ", pooled));
    }

    [Fact]
    public void Pool_SalientAverage_KeepsOnlyTheWindowWhereTheGarmentResponds()
    {
        // Channel 0 ("background") fires on the left columns, channel 1 ("garment") strongly in the
        // bottom-right corner: the average mixes both, the salient window sees mostly the garment.
        var map = new float[2 * 49];
        for (var y = 0; y < 7; y++)
        {
            for (var x = 0; x < 7; x++)
            {
                map[(y * 7) + x] = x < 2 ? 1f : 0f;
                map[49 + (y * 7) + x] = x >= 3 && y >= 3 ? 3f : 0f;
            }
        }

        var average = new float[2];
        var salient = new float[2];
        FeatureMapPooling.Pool(map, 2, 7, 7, FeatureMapPoolingKind.Average, average);
        FeatureMapPooling.Pool(map, 2, 7, 7, FeatureMapPoolingKind.SalientAverage, salient);

        Assert.Equal((2, 2), FeatureMapPooling.StrongestWindow(map, 2, 7, 7, 5));
        Assert.True(salient[0] / salient[1] < average[0] / average[1] / 2, $"average {average[0]:F3}/{average[1]:F3}, salient {salient[0]:F3}/{salient[1]:F3}");
    }
}
