using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class Int8QuantizerTests
{
    [Fact]
    public void Quantize_FollowsTheDocumentedExample()
    {
        var codes = new sbyte[3];

        var scale = Int8Quantizer.Quantize([0.5f, -0.25f, 0.1f], codes);

        Assert.Equal(0.5f / 127, scale);
        Assert.Equal([127, -64, 25], codes);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(67)]
    [InlineData(2048)]
    public void Quantize_MapsLargestValueToFullRange_AndStaysWithinHalfAStep(int dimension)
    {
        var random = new Random(dimension);
        var vector = SearchTestData.RandomVector(random, dimension);
        vector[dimension / 2] = -7f;
        var codes = new sbyte[dimension];

        var scale = Int8Quantizer.Quantize(vector, codes);

        Assert.Equal(-127, codes[dimension / 2]);
        Assert.DoesNotContain((sbyte)-128, codes);
        for (var i = 0; i < dimension; i++)
        {
            Assert.InRange(vector[i] - (scale * codes[i]), -scale * 0.5001f, scale * 0.5001f);
        }
    }

    [Fact]
    public void Quantize_ReturnsZeroScaleAndCodes_ForAnAllZeroVector()
    {
        var codes = new sbyte[] { 1, 2, 3 };

        Assert.Equal(0f, Int8Quantizer.Quantize([0f, -0f, 0f], codes));
        Assert.Equal([0, 0, 0], codes);
    }

    [Fact]
    public void Quantize_GivesFiniteCodes_WhenValuesAreSubnormal()
    {
        var codes = new sbyte[3];
        var tiny = float.Epsilon * 4;

        var scale = Int8Quantizer.Quantize([tiny, 0f, -tiny / 2], codes);

        Assert.Equal([127, 0, -64], codes);
        Assert.True(scale >= 0f && float.IsFinite(scale));
    }
}
