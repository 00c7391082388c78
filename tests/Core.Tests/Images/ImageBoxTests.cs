using OutfitFinder.Core.Images;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Images;

public sealed class ImageBoxTests
{
    private static readonly ImageLimits Limits = new() { MaxBytes = 1_000_000, MaxPixels = 1_000_000 };

    [Theory]
    [InlineData("40,120,200,260", 40, 120, 200, 260)]
    [InlineData(" 0, 0, 1, 1 ", 0, 0, 1, 1)]
    public void TryParse_ReadsFourIntegers(string text, int x, int y, int w, int h)
    {
        Assert.True(ImageBox.TryParse(text, out var box, out var error));
        Assert.Null(error);
        Assert.Equal(new ImageBox(x, y, w, h), box);
    }

    [Theory]
    [InlineData("", "four")]
    [InlineData("1,2,3", "four")]
    [InlineData("1,2,3,4,5", "four")]
    [InlineData("1.5,2,3,4", "four")]
    [InlineData("-1,2,3,4", "four")]
    [InlineData("0,0,0,4", "at least 1")]
    public void TryParse_SaysWhatIsWrong_WithABadBox(string text, string reason)
    {
        Assert.False(ImageBox.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Crop_CopiesTheBoxedPixels()
    {
        using var image = CraftedImages.Quadrants(100, 80, SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow);

        using var cropped = new ImageBox(50, 40, 50, 40).Crop(image);

        Assert.Equal((50, 40), (cropped.Width, cropped.Height));
        Assert.All(new[] { cropped.GetPixel(0, 0), cropped.GetPixel(49, 39), cropped.GetPixel(25, 20) }, pixel => Assert.Equal(SKColors.Yellow, pixel));
    }

    [Fact]
    public void Crop_TakesUprightCoordinates_ForAPhotoStoredTurned()
    {
        // Stored turned with EXIF orientation 6, as a phone held upright stores it; the box is drawn on what a person sees.
        using var upright = CraftedImages.Quadrants(120, 80, SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow);
        using var decoded = ImageDecoder.Decode(CraftedImages.JpegWithOrientation(upright, 6), Limits);

        using var cropped = new ImageBox(60, 0, 60, 40).Crop(decoded);

        var centre = cropped.GetPixel(30, 20);
        Assert.True(centre.Green > 200 && centre.Red < 60 && centre.Blue < 60, $"expected the top-right (lime) quadrant, got {centre}");
    }

    [Theory]
    [InlineData(61, 0, 60, 40)]
    [InlineData(0, 41, 10, 40)]
    public void Crop_RejectsABoxOutsideTheImage(int x, int y, int w, int h)
    {
        using var image = CraftedImages.Quadrants(120, 80, SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow);

        var error = Assert.Throws<ImageRejectedException>(() => new ImageBox(x, y, w, h).Crop(image).Dispose());

        Assert.Equal(ImageRejection.BoxOutsideImage, error.Reason);
        Assert.Contains("120×80", error.Message);
    }
}
