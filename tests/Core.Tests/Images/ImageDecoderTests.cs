using OutfitFinder.Core.Images;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Core.Tests.Images;

public sealed class ImageDecoderTests
{
    private static readonly SKColor Red = new(200, 30, 40);
    private static readonly SKColor Green = new(30, 160, 60);
    private static readonly SKColor Blue = new(40, 60, 200);
    private static readonly SKColor Yellow = new(240, 200, 40);

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpeg")]
    [InlineData(SKEncodedImageFormat.Png, "png")]
    [InlineData(SKEncodedImageFormat.Webp, "webp")]
    [InlineData(SKEncodedImageFormat.Bmp, "bmp")]
    [InlineData(SKEncodedImageFormat.Gif, "gif")]
    public void Inspect_ReportsFormatAndSize_ForEachAcceptedFormat(SKEncodedImageFormat format, string name)
    {
        using var image = CraftedImages.Quadrants(64, 48, Red, Green, Blue, Yellow);

        var info = ImageDecoder.Inspect(GarmentImages.Encode(image, format), ImageLimits.Default);

        Assert.Equal(new ImageInfo(name, 64, 48), info);
        Assert.Equal(64 * 48, info.Pixels);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, 12)] // largest per-channel error the encoding may add
    [InlineData(SKEncodedImageFormat.Png, 0)]
    [InlineData(SKEncodedImageFormat.Webp, 12)]
    [InlineData(SKEncodedImageFormat.Bmp, 0)]
    [InlineData(SKEncodedImageFormat.Gif, 0)]
    public void Decode_ReturnsSizeAndColours_ForEachAcceptedFormat(SKEncodedImageFormat format, int tolerance)
    {
        using var image = CraftedImages.Quadrants(64, 48, Red, Green, Blue, Yellow);

        using var decoded = ImageDecoder.Decode(GarmentImages.Encode(image, format), ImageLimits.Default);

        Assert.Equal((64, 48), (decoded.Width, decoded.Height));
        Assert.Equal(SKColorType.Rgba8888, decoded.ColorType);
        Assert.Equal(SKAlphaType.Unpremul, decoded.AlphaType);
        AssertQuadrants(decoded, Red, Green, Blue, Yellow, tolerance);
    }

    [Fact]
    public void Decode_KeepsGarmentPixels_ForLosslessPng()
    {
        var spec = new GarmentSpec(GarmentKind.Dress, new SKColor(196, 30, 45), GarmentPattern.Dots, SKColors.White, 7);
        using var shop = GarmentImages.Draw(spec);

        using var decoded = ImageDecoder.Decode(GarmentImages.Encode(shop, SKEncodedImageFormat.Png), ImageLimits.Default);

        for (var y = 0; y < shop.Height; y += 17)
        {
            for (var x = 0; x < shop.Width; x += 13)
            {
                Assert.Equal(shop.GetPixel(x, y), decoded.GetPixel(x, y));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Decode_ReturnsUprightImage_ForEachExifOrientation(int orientation)
    {
        using var upright = CraftedImages.Quadrants(64, 40, Red, Green, Blue, Yellow);
        var jpeg = CraftedImages.JpegWithOrientation(upright, orientation);

        var stored = ImageDecoder.Inspect(jpeg, ImageLimits.Default);
        using var decoded = ImageDecoder.Decode(jpeg, ImageLimits.Default);

        // The header describes the stored pixels, turned on their side for orientations 5–8.
        Assert.Equal(orientation >= 5 ? (40, 64) : (64, 40), (stored.Width, stored.Height));
        Assert.Equal((64, 40), (decoded.Width, decoded.Height));
        AssertQuadrants(decoded, Red, Green, Blue, Yellow, tolerance: 12);
    }

    [Fact]
    public void Decode_ReturnsUprightImage_ForBigEndianExif()
    {
        using var upright = CraftedImages.Quadrants(64, 40, Red, Green, Blue, Yellow);

        using var decoded = ImageDecoder.Decode(CraftedImages.JpegWithOrientation(upright, 6, bigEndian: true), ImageLimits.Default);

        Assert.Equal((64, 40), (decoded.Width, decoded.Height));
        AssertQuadrants(decoded, Red, Green, Blue, Yellow, tolerance: 12);
    }

    [Fact]
    public void Decode_ReturnsFirstFrame_ForAnimatedGif()
    {
        using var first = CraftedImages.Quadrants(32, 24, Red, Green, Blue, Yellow);
        using var second = CraftedImages.Quadrants(32, 24, Yellow, Blue, Green, Red);
        var gif = CraftedImages.AnimatedGif(first, second);

        using var decoded = ImageDecoder.Decode(gif, ImageLimits.Default);

        using var codec = SKCodec.Create(new SKMemoryStream(SKData.CreateCopy(gif)), out _);
        Assert.Equal(2, codec.FrameCount);
        Assert.Equal((32, 24), (decoded.Width, decoded.Height));
        AssertQuadrants(decoded, Red, Green, Blue, Yellow, tolerance: 0);
    }

    [Fact]
    public void Decode_RejectsAsEmpty_WhenNoBytes()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode([], ImageLimits.Default));

        Assert.Equal(ImageRejection.Empty, error.Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decode_RejectsAsUnsupported_ForRandomBytes(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));

        Assert.Equal(ImageRejection.UnsupportedFormat, error.Reason);
        Assert.Equal("Image format is not recognised; send a JPEG, PNG, WebP, BMP or GIF.", error.Message);
    }

    [Fact]
    public void Inspect_RejectsAsUnsupported_ForIcoThatSkiaCanRead()
    {
        using var image = CraftedImages.Quadrants(32, 32, Red, Green, Blue, Yellow);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Inspect(CraftedImages.Ico(image), ImageLimits.Default));

        Assert.Equal(ImageRejection.UnsupportedFormat, error.Reason);
        Assert.Equal("Image is ICO, which is not accepted; send a JPEG, PNG, WebP, BMP or GIF.", error.Message);
    }

    [Fact]
    public void Decode_RejectsAsUnsupported_ForWbmp()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(CraftedImages.Wbmp(16, 8), ImageLimits.Default));

        Assert.Equal(ImageRejection.UnsupportedFormat, error.Reason);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, 0.95)]
    [InlineData(SKEncodedImageFormat.Jpeg, 0.6)]
    [InlineData(SKEncodedImageFormat.Jpeg, 0.3)]
    [InlineData(SKEncodedImageFormat.Jpeg, 0.01)]
    [InlineData(SKEncodedImageFormat.Png, 0.95)]
    [InlineData(SKEncodedImageFormat.Png, 0.6)]
    [InlineData(SKEncodedImageFormat.Png, 0.3)]
    [InlineData(SKEncodedImageFormat.Png, 0.05)]
    [InlineData(SKEncodedImageFormat.Gif, 0.6)]
    [InlineData(SKEncodedImageFormat.Webp, 0.6)]
    [InlineData(SKEncodedImageFormat.Bmp, 0.6)]
    public void Decode_RejectsAsCorrupt_WhenTruncated(SKEncodedImageFormat format, double keep)
    {
        var spec = new GarmentSpec(GarmentKind.Top, new SKColor(40, 80, 200), GarmentPattern.Stripes, SKColors.White, 3);
        using var shop = GarmentImages.Draw(spec);
        var truncated = CraftedImages.Truncate(GarmentImages.Encode(shop, format), keep);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(truncated, ImageLimits.Default));

        Assert.Equal(ImageRejection.Corrupt, error.Reason);
    }

    [Fact]
    public void Decode_NamesTruncation_WhenJpegEndsEarly()
    {
        var spec = new GarmentSpec(GarmentKind.Skirt, new SKColor(34, 90, 50), GarmentPattern.Plain, SKColors.White, 5);
        using var shop = GarmentImages.Draw(spec);
        var truncated = CraftedImages.Truncate(GarmentImages.Encode(shop), 0.5);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(truncated, ImageLimits.Default));

        Assert.Equal("Image data ends early: the JPEG is truncated; send the complete file.", error.Message);
    }

    [Fact]
    public void Inspect_AcceptsTruncatedJpeg_BecauseOnlyTheHeaderIsRead()
    {
        using var image = CraftedImages.Quadrants(64, 48, Red, Green, Blue, Yellow);
        var truncated = CraftedImages.Truncate(GarmentImages.Encode(image), 0.8);

        Assert.Equal(new ImageInfo("jpeg", 64, 48), ImageDecoder.Inspect(truncated, ImageLimits.Default));
    }

    [Fact]
    public void Decode_RejectsAsCorrupt_WhenPngImageDataIsDamaged()
    {
        using var image = CraftedImages.Quadrants(64, 48, Red, Green, Blue, Yellow);
        var png = GarmentImages.Encode(image, SKEncodedImageFormat.Png);
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        png.AsSpan(idat + 8, 8).Fill(0xA5);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png, ImageLimits.Default));

        Assert.Equal(ImageRejection.Corrupt, error.Reason);
    }

    [Fact]
    public void Inspect_RejectsByByteCount_BeforeLookingAtTheFormat()
    {
        var limits = new ImageLimits { MaxBytes = 1000 };
        var bytes = new byte[1001];
        new Random(4).NextBytes(bytes);

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Inspect(bytes, limits));

        Assert.Equal(ImageRejection.TooManyBytes, error.Reason);
        Assert.Equal("Image is 1,001 bytes; the limit is 1,000.", error.Message);
    }

    [Fact]
    public void Inspect_AcceptsImage_WhenExactlyAtBothLimits()
    {
        using var image = CraftedImages.Quadrants(40, 25, Red, Green, Blue, Yellow);
        var png = GarmentImages.Encode(image, SKEncodedImageFormat.Png);

        var info = ImageDecoder.Inspect(png, new ImageLimits { MaxBytes = png.Length, MaxPixels = 1000 });

        Assert.Equal(1000, info.Pixels);
    }

    [Fact]
    public void Inspect_RejectsByPixelCount_WithActionableMessage()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Inspect(CraftedImages.PngDeclaring(8000, 6000), ImageLimits.Default));

        Assert.Equal(ImageRejection.TooManyPixels, error.Reason);
        Assert.Equal("Image is 48,000,000 pixels (8000×6000); the limit is 40,000,000.", error.Message);
    }

    [Fact]
    public void Inspect_ReadsDeclaredSizeOfBomb_WithoutDecoding()
    {
        var unlimited = new ImageLimits { MaxPixels = long.MaxValue };

        var info = ImageDecoder.Inspect(CraftedImages.PngDeclaring(100_000, 100_000), unlimited);

        Assert.Equal(new ImageInfo("png", 100_000, 100_000), info);
    }

    [Fact]
    public void Decode_RejectsAsCorrupt_WhenHeaderOfAcceptedFormatIsCutShort()
    {
        using var image = CraftedImages.Quadrants(64, 48, Red, Green, Blue, Yellow);
        var header = GarmentImages.Encode(image, SKEncodedImageFormat.Png)[..20];

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(header, ImageLimits.Default));

        Assert.Equal(ImageRejection.Corrupt, error.Reason);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Webp)]
    [InlineData(SKEncodedImageFormat.Bmp)]
    [InlineData(SKEncodedImageFormat.Gif)]
    public void Decode_ThrowsOnlyImageRejected_ForMutatedFiles(SKEncodedImageFormat format)
    {
        var spec = new GarmentSpec(GarmentKind.Trousers, new SKColor(28, 40, 82), GarmentPattern.Checks, SKColors.White, 11);
        using var shop = GarmentImages.Draw(spec, 48, 48);
        var original = GarmentImages.Encode(shop, format);
        var random = new Random(12);
        var outcomes = new HashSet<string>();

        for (var trial = 0; trial < 60; trial++)
        {
            var mutated = (byte[])original.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var bytes = trial % 3 == 0 ? mutated[..random.Next(1, mutated.Length)] : mutated;
            try
            {
                using var decoded = ImageDecoder.Decode(bytes, ImageLimits.Default);
                Assert.True(decoded.Width > 0 && decoded.Height > 0);
                outcomes.Add("decoded");
            }
            catch (ImageRejectedException e)
            {
                outcomes.Add(e.Reason.ToString());
            }
        }

        // Most damage is caught, but not all of it can be: a flipped byte inside the pixel data of a
        // BMP is just a different pixel.
        Assert.Contains(outcomes, o => o != "decoded");
    }

    private static void AssertQuadrants(SKBitmap bitmap, SKColor topLeft, SKColor topRight, SKColor bottomLeft, SKColor bottomRight, int tolerance)
    {
        int w = bitmap.Width, h = bitmap.Height;
        AssertNear(topLeft, bitmap.GetPixel(w / 4, h / 4), tolerance, "top left");
        AssertNear(topRight, bitmap.GetPixel(3 * w / 4, h / 4), tolerance, "top right");
        AssertNear(bottomLeft, bitmap.GetPixel(w / 4, 3 * h / 4), tolerance, "bottom left");
        AssertNear(bottomRight, bitmap.GetPixel(3 * w / 4, 3 * h / 4), tolerance, "bottom right");
    }

    private static void AssertNear(SKColor expected, SKColor actual, int tolerance, string where)
    {
        var error = Math.Max(Math.Abs(expected.Red - actual.Red), Math.Max(Math.Abs(expected.Green - actual.Green), Math.Abs(expected.Blue - actual.Blue)));
        Assert.True(error <= tolerance, $"{where}: expected {expected}, got {actual} (off by {error}, tolerance {tolerance}).");
    }
}
