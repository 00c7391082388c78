using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.TestSupport;

public sealed class GarmentImagesTests
{
    private static readonly GarmentSpec RedDottedDress = new(GarmentKind.Dress, new SKColor(196, 30, 45), GarmentPattern.Dots, SKColors.White, 42);

    [Fact]
    public void Draw_GivesIdenticalPixels_ForEqualSpecs()
    {
        using var first = GarmentImages.Draw(RedDottedDress);
        using var second = GarmentImages.Draw(RedDottedDress with { });

        Assert.Equal(first.GetPixelSpan().ToArray(), second.GetPixelSpan().ToArray());
    }

    [Theory]
    [InlineData(GarmentKind.Skirt, null, null, null)]
    [InlineData(null, "navy", null, null)]
    [InlineData(null, null, GarmentPattern.Stripes, null)]
    [InlineData(null, null, null, 43)]
    public void Draw_GivesDifferentImages_WhenOneSpecFieldChanges(GarmentKind? kind, string? colour, GarmentPattern? pattern, int? seed)
    {
        var changed = RedDottedDress with
        {
            Kind = kind ?? RedDottedDress.Kind,
            Colour = colour is null ? RedDottedDress.Colour : new SKColor(28, 40, 82),
            Pattern = pattern ?? RedDottedDress.Pattern,
            Seed = seed ?? RedDottedDress.Seed,
        };
        using var original = GarmentImages.Draw(RedDottedDress);
        using var other = GarmentImages.Draw(changed);

        Assert.True(MeanAbsoluteDifference(original, other) > 2, $"{changed} looks like {RedDottedDress}.");
    }

    [Fact]
    public void Draw_GivesDistinctSilhouettes_ForEachKind()
    {
        var masks = Enum.GetValues<GarmentKind>()
            .Select(kind => Mask(RedDottedDress with { Kind = kind, Pattern = GarmentPattern.Plain }))
            .ToList();

        for (var i = 0; i < masks.Count; i++)
        {
            for (var j = i + 1; j < masks.Count; j++)
            {
                var differing = masks[i].Zip(masks[j]).Count(pair => pair.First != pair.Second);
                Assert.True(differing > masks[i].Length / 20, $"{(GarmentKind)i} and {(GarmentKind)j} differ in only {differing} pixels.");
            }
        }
    }

    [Theory]
    [InlineData(GarmentKind.Dress)]
    [InlineData(GarmentKind.Skirt)]
    [InlineData(GarmentKind.Top)]
    [InlineData(GarmentKind.Trousers)]
    public void Draw_PutsGarmentColourOnLightBackground_ForEachKind(GarmentKind kind)
    {
        var spec = new GarmentSpec(kind, new SKColor(34, 90, 50), GarmentPattern.Plain, SKColors.White, 1);
        using var shop = GarmentImages.Draw(spec, 200, 300);

        Assert.Equal((200, 300), (shop.Width, shop.Height));
        foreach (var (x, y) in new[] { (0, 0), (199, 0), (0, 299), (199, 299) })
        {
            var corner = shop.GetPixel(x, y);
            Assert.True(corner.Red > 230 && corner.Green > 230 && corner.Blue > 230, $"corner ({x}, {y}) is {corner}.");
        }

        var mask = Mask(spec, 200, 300);
        var share = mask.Count(m => m) / (double)mask.Length;
        Assert.InRange(share, 0.12, 0.6);
    }

    [Fact]
    public void ConsumerView_GivesIdenticalPixels_ForEqualSeeds()
    {
        using var shop = GarmentImages.Draw(RedDottedDress);

        using var first = GarmentImages.ConsumerView(shop, seed: 5);
        using var second = GarmentImages.ConsumerView(shop, seed: 5);

        Assert.Equal(first.GetPixelSpan().ToArray(), second.GetPixelSpan().ToArray());
    }

    [Fact]
    public void ConsumerView_DiffersFromShopAndBetweenSeeds()
    {
        using var shop = GarmentImages.Draw(RedDottedDress);

        using var first = GarmentImages.ConsumerView(shop, seed: 5);
        using var second = GarmentImages.ConsumerView(shop, seed: 6);

        Assert.True(MeanAbsoluteDifference(shop, first) > 20);
        Assert.True(MeanAbsoluteDifference(first, second) > 20);
    }

    [Fact]
    public void ConsumerView_KeepsMostOfTheGarmentInFrame_WithoutColourShift()
    {
        // Only geometry and clutter change, so garment red can be counted exactly; the clutter
        // palette is random, so compare with the same scene drawn without the garment's colour.
        var options = new ConsumerViewOptions { MaxBrightnessShift = 0, MaxSaturationShift = 0, MaxWarmthShift = 0, MaxNoise = 0, BlurProbability = 0, ClutterShapes = 0 };
        var plain = RedDottedDress with { Pattern = GarmentPattern.Plain };
        using var shop = GarmentImages.Draw(plain);
        var shopRed = CountNear(shop, plain.Colour, 40);

        for (var seed = 0; seed < 10; seed++)
        {
            using var view = GarmentImages.ConsumerView(shop, seed, options);
            var viewRed = CountNear(view, plain.Colour, 40);

            // The crop keeps at least 70% of the garment, and the zoom can shrink it to 1/1.5 in each direction.
            Assert.True(viewRed >= shopRed * 0.7 / (1.5 * 1.5) * 0.9, $"seed {seed}: {viewRed} red pixels of {shopRed}.");
        }
    }

    [Fact]
    public void ConsumerView_UsesRequestedSize()
    {
        using var shop = GarmentImages.Draw(RedDottedDress);

        using var view = GarmentImages.ConsumerView(shop, 1, new ConsumerViewOptions { Width = 160, Height = 120 });

        Assert.Equal((160, 120), (view.Width, view.Height));
    }

    [Fact]
    public void Crop_CopiesPixelsOfRectangle()
    {
        using var shop = GarmentImages.Draw(RedDottedDress);

        using var crop = GarmentImages.Crop(shop, new SKRectI(30, 40, 130, 90));

        Assert.Equal((100, 50), (crop.Width, crop.Height));
        Assert.Equal(shop.GetPixel(30, 40), crop.GetPixel(0, 0));
        Assert.Equal(shop.GetPixel(129, 89), crop.GetPixel(99, 49));
    }

    [Fact]
    public void Rotate_TurnsImageAboutItsCentre()
    {
        using var quadrants = CraftedImages.Quadrants(64, 64, SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow);

        using var turned = GarmentImages.Rotate(quadrants, 90);

        // Clockwise: the top-left quadrant moves to the top right.
        Assert.Equal(SKColors.Red, turned.GetPixel(48, 16));
        Assert.Equal(SKColors.Lime, turned.GetPixel(48, 48));
        Assert.Equal(SKColors.Blue, turned.GetPixel(16, 16));
    }

    [Fact]
    public void Resize_ScalesToRequestedSize_KeepingFlatColours()
    {
        using var quadrants = CraftedImages.Quadrants(64, 64, SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow);

        using var small = GarmentImages.Resize(quadrants, 20, 10);

        Assert.Equal((20, 10), (small.Width, small.Height));
        Assert.Equal(SKColors.Red, small.GetPixel(2, 1));
        Assert.Equal(SKColors.Yellow, small.GetPixel(17, 8));
    }

    [Fact]
    public void ShiftColour_ChangesBrightnessSaturationAndWarmth()
    {
        using var flat = CraftedImages.Quadrants(4, 4, new SKColor(100, 150, 200), new SKColor(100, 150, 200), new SKColor(100, 150, 200), new SKColor(100, 150, 200));

        using var brighter = GarmentImages.ShiftColour(flat, brightness: 0.1f);
        using var grey = GarmentImages.ShiftColour(flat, brightness: 0, saturation: 0);
        using var warmer = GarmentImages.ShiftColour(flat, brightness: 0, warmth: 1);

        Assert.Equal(new SKColor(126, 176, 226), brighter.GetPixel(0, 0));
        var g = grey.GetPixel(0, 0);
        Assert.True(g.Red == g.Green && g.Green == g.Blue, $"{g} is not grey.");
        Assert.Equal(new SKColor(124, 150, 176), warmer.GetPixel(0, 0));
    }

    [Fact]
    public void Blur_SoftensEdges_WithoutChangingFlatAreas()
    {
        using var quadrants = CraftedImages.Quadrants(64, 64, SKColors.Black, SKColors.White, SKColors.Black, SKColors.White);

        using var blurred = GarmentImages.Blur(quadrants, 2);

        Assert.Equal(SKColors.Black, blurred.GetPixel(8, 32));
        var edge = blurred.GetPixel(32, 32);
        Assert.InRange(edge.Red, 60, 200);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Bmp)]
    [InlineData(SKEncodedImageFormat.Gif)]
    public void Encode_WritesFilesSkiaReadsBack_ForFormatsSkiaCannotWrite(SKEncodedImageFormat format)
    {
        using var shop = GarmentImages.Draw(RedDottedDress with { Pattern = GarmentPattern.Plain }, 50, 30);

        var bytes = GarmentImages.Encode(shop, format);
        using var codec = SKCodec.Create(new SKMemoryStream(SKData.CreateCopy(bytes)), out var result);

        Assert.Equal(SKCodecResult.Success, result);
        Assert.Equal(format, codec.EncodedFormat);
        using var decoded = SKBitmap.Decode(codec);
        Assert.Equal((50, 30), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Encode_Throws_ForFormatWithoutEncoder()
    {
        using var shop = GarmentImages.Draw(RedDottedDress, 32, 32);

        Assert.Throws<NotSupportedException>(() => GarmentImages.Encode(shop, SKEncodedImageFormat.Ico));
    }

    /// <summary>True where the shop shot is not its backdrop colour.</summary>
    private static bool[] Mask(GarmentSpec spec, int width = 256, int height = 256)
    {
        using var shop = GarmentImages.Draw(spec, width, height);
        var backdrop = shop.GetPixel(0, 0);
        var mask = new bool[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                mask[(y * width) + x] = shop.GetPixel(x, y) != backdrop;
            }
        }

        return mask;
    }

    private static int CountNear(SKBitmap bitmap, SKColor colour, int tolerance)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - colour.Red) <= tolerance && Math.Abs(p.Green - colour.Green) <= tolerance && Math.Abs(p.Blue - colour.Blue) <= tolerance)
                {
                    count++;
                }
            }
        }

        return count;
    }

    private static double MeanAbsoluteDifference(SKBitmap a, SKBitmap b)
    {
        var pa = a.GetPixelSpan();
        var pb = b.GetPixelSpan();
        long sum = 0;
        for (var i = 0; i < pa.Length; i++)
        {
            sum += Math.Abs(pa[i] - pb[i]);
        }

        return (double)sum / pa.Length;
    }
}
