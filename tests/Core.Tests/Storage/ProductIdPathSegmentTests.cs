using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Storage;

public sealed class ProductIdPathSegmentTests
{
    [Theory]
    [InlineData("f", "my")]
    [InlineData("fo", "mzxq")]
    [InlineData("foo", "mzxw6")]
    [InlineData("foob", "mzxw6yq")]
    [InlineData("fooba", "mzxw6ytb")]
    [InlineData("foobar", "mzxw6ytboi")]
    [InlineData("SKU 1/a", "knfvkibrf5qq")]
    public void Encode_ReturnsLowercaseUnpaddedBase32_ForRfc4648Vectors(string productId, string segment)
    {
        Assert.Equal(segment, ProductIdPathSegment.Encode(productId));
    }

    [Theory]
    [InlineData("sku-1")]
    [InlineData("ab")]
    [InlineData("AB")]
    [InlineData("靴/👟 é ..")]
    [InlineData("x")]
    public void TryDecode_ReturnsOriginalId_ForEncodedSegment(string productId)
    {
        Assert.True(ProductIdPathSegment.TryDecode(ProductIdPathSegment.Encode(productId), out var decoded));

        Assert.Equal(productId, decoded);
    }

    [Fact]
    public void Encode_GivesCaseInsensitiveDistinctSegments_ForIdsDifferingOnlyInCase()
    {
        var segments = new[] { "ab", "AB", "aB", "Ab" }.Select(ProductIdPathSegment.Encode).ToList();

        Assert.Equal(4, segments.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Encode_StaysWithinFileNameLimit_ForLongestId()
    {
        var segment = ProductIdPathSegment.Encode(new string('\u00e9', ProductIdPathSegment.MaxProductIdUtf8Bytes / 2));

        Assert.Equal(205, segment.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("mz")]
    [InlineData("MY")]
    [InlineData("my=")]
    [InlineData("my/")]
    [InlineData("6a")]
    public void TryDecode_ReturnsFalse_WhenSegmentIsNotAnEncoding(string segment)
    {
        Assert.False(ProductIdPathSegment.TryDecode(segment, out _));
    }
}
