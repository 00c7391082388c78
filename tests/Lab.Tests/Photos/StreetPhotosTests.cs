using OutfitFinder.Lab.Photos;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Lab.Tests.Photos;

public sealed class StreetPhotosTests
{
    [Fact]
    public void Make_IsAJpegOfTheSceneShape_SameForASeed_DifferentForAnother()
    {
        using var shop = GarmentOnFloor(new SKColor(200, 30, 30));
        using var street = Scene(160, 120);

        var (first, _) = StreetPhotos.Make(shop, street, seed: 4, StreetPhotoOptions.Default with { OutputSize = 128 });

        using var codec = SKCodec.Create(new MemoryStream(first));
        Assert.Equal(SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
        Assert.Equal(128, codec.Info.Width);
        Assert.Equal(96, codec.Info.Height);
        Assert.Equal(first, StreetPhotos.MakeJpeg(shop, street, seed: 4, StreetPhotoOptions.Default with { OutputSize = 128 }));
        Assert.NotEqual(first, StreetPhotos.MakeJpeg(shop, street, seed: 5, StreetPhotoOptions.Default with { OutputSize = 128 }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Make_PutsTheGarmentOnAModestPartOfTheFrame(int seed)
    {
        using var shop = GarmentOnFloor(new SKColor(30, 30, 200));
        using var street = Scene(200, 200);
        var options = StreetPhotoOptions.Default with { OutputSize = 200, MaxRotationDegrees = 0, MaxPerspective = 0 };

        var (_, box) = StreetPhotos.Make(shop, street, seed, options);

        var share = box.Width * box.Height / (200f * 200f);
        Assert.InRange(share, options.MinCover - 0.02f, options.MaxCover + 0.02f);
    }

    [Fact]
    public void CutOut_KeepsTheGarment_AndDropsThePlainFloorAroundIt()
    {
        using var shop = GarmentOnFloor(new SKColor(200, 30, 30));

        using var garment = StreetPhotos.CutOut(shop);

        // The garment is the 60×80 rectangle in the middle of the 120×160 photo.
        Assert.InRange(garment.Width, 58, 62);
        Assert.InRange(garment.Height, 78, 82);
        Assert.Equal(255, garment.GetPixel(garment.Width / 2, garment.Height / 2).Alpha);
    }

    [Fact]
    public void CutOut_KeepsTheWholePhoto_WhenTheKeyWouldKeepNearlyAllOfIt()
    {
        // A garment filling all but a 3-pixel floor border: the key is not trusted.
        using var busy = PhotoTransforms.NewBitmap(90, 120);
        using (var canvas = new SKCanvas(busy))
        using (var paint = new SKPaint { Color = new SKColor(20, 120, 40) })
        {
            canvas.Clear(new SKColor(225, 220, 210));
            canvas.DrawRect(SKRect.Create(3, 3, 84, 114), paint);
        }

        using var kept = StreetPhotos.CutOut(busy);

        Assert.Equal((90, 120), (kept.Width, kept.Height));
        Assert.Equal(255, kept.GetPixel(0, 0).Alpha);
    }

    private static SKBitmap GarmentOnFloor(SKColor colour)
    {
        var bitmap = PhotoTransforms.NewBitmap(120, 160);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(new SKColor(225, 220, 210));
        using var paint = new SKPaint { Color = colour };
        canvas.DrawRect(SKRect.Create(30, 40, 60, 80), paint);
        return bitmap;
    }

    /// <summary>A busy scene: seeded noise, no plain border.</summary>
    private static SKBitmap Scene(int width, int height)
    {
        using var noise = SKBitmap.Decode(NoiseBitmaps.Bmp(seed: 9, side: 24));
        return PhotoTransforms.Resize(noise, width, height);
    }
}
