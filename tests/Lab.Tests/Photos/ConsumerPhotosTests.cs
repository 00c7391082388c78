using OutfitFinder.Lab.Photos;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Lab.Tests.Photos;

public sealed class ConsumerPhotosTests
{
    [Fact]
    public void Perspective_MapsTheSourceCornersOntoTheGivenCorners()
    {
        SKPoint[] corners = [new(10, 5), new(90, 15), new(80, 70), new(5, 60)];

        var matrix = PhotoTransforms.Perspective(SKRect.Create(40, 30), corners);

        SKPoint[] source = [new(0, 0), new(40, 0), new(40, 30), new(0, 30)];
        var mapped = matrix.MapPoints(source);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(corners[i].X, mapped[i].X, 3);
            Assert.Equal(corners[i].Y, mapped[i].Y, 3);
        }
    }

    [Fact]
    public void Perspective_RejectsCornersOnOneLine()
    {
        SKPoint[] corners = [new(0, 0), new(1, 1), new(2, 2), new(3, 3)];
        Assert.Throws<ArgumentException>(() => PhotoTransforms.Perspective(SKRect.Create(10, 10), corners));
    }

    [Fact]
    public void MakeJpeg_IsAJpegOfTheConfiguredSize_SameForASeed_DifferentForAnother()
    {
        using var shop = GarmentImages.Draw(GarmentCatalog.Generate(1, seed: 3)[0].Spec, 120, 160);
        var options = ConsumerPhotoOptions.Default with { OutputSize = 96 };

        var first = ConsumerPhotos.MakeJpeg(shop, seed: 7, options);

        using var codec = SKCodec.Create(new MemoryStream(first));
        Assert.Equal(SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
        Assert.Equal(96, codec.Info.Height);
        Assert.Equal(72, codec.Info.Width);
        Assert.Equal(first, ConsumerPhotos.MakeJpeg(shop, seed: 7, options));
        Assert.NotEqual(first, ConsumerPhotos.MakeJpeg(shop, seed: 8, options));
    }

    [Fact]
    public void MakeJpeg_KeepsTheProductsColour_ARedGarmentsViewIsRedderThanABlueOnes()
    {
        // A crude check that the transforms do not destroy the photo: the mean colour of a view of
        // a red garment is redder than that of a view of a blue one.
        var specs = GarmentCatalog.Generate(2, seed: 3);
        using var red = GarmentImages.Draw(specs[0].Spec with { Colour = new SKColor(200, 30, 30), Pattern = GarmentPattern.Plain }, 128, 128);
        using var blue = GarmentImages.Draw(specs[1].Spec with { Colour = new SKColor(30, 30, 200), Pattern = GarmentPattern.Plain }, 128, 128);
        var options = ConsumerPhotoOptions.Default with { OutputSize = 128, MinCover = 0.9f };

        var (redR, redB) = MeanRedBlue(ConsumerPhotos.MakeJpeg(red, seed: 1, options));
        var (blueR, blueB) = MeanRedBlue(ConsumerPhotos.MakeJpeg(blue, seed: 1, options));

        Assert.True(redR - redB > blueR - blueB, $"red view R-B {redR - redB:F1}, blue view R-B {blueR - blueB:F1}");
    }

    private static (double Red, double Blue) MeanRedBlue(byte[] jpeg)
    {
        using var bitmap = SKBitmap.Decode(jpeg);
        double r = 0, b = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                r += pixel.Red;
                b += pixel.Blue;
            }
        }

        var n = bitmap.Width * bitmap.Height;
        return (r / n, b / n);
    }
}
