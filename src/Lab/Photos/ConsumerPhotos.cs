using SkiaSharp;

namespace OutfitFinder.Lab.Photos;

/// <summary>
/// Makes a synthetic "consumer photo" of the product in a real shop photo: the photo is cropped,
/// seen at an angle (rotation and perspective), set into a cluttered room that fills the rest of
/// the frame, lit unevenly, colour-shifted, given sensor noise, sometimes blurred, and saved as a
/// low-quality JPEG twice over. Unlike a studio shot, a real photo has no plain background to cut
/// the garment from, so the whole (cropped) photo is what the consumer photographs.
/// </summary>
public static class ConsumerPhotos
{
    /// <summary>A consumer view of <paramref name="shop"/> as JPEG bytes; equal inputs and seeds give identical bytes.</summary>
    /// <param name="shop">The shop photo; not modified.</param>
    /// <param name="seed">Chooses every random change.</param>
    /// <param name="options">Limits of the changes; <see cref="ConsumerPhotoOptions.Default"/> when null.</param>
    public static byte[] MakeJpeg(SKBitmap shop, int seed, ConsumerPhotoOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shop);
        options ??= ConsumerPhotoOptions.Default;
        var random = new Random(seed);
        using var photo = Make(shop, random, options);
        var quality = random.Next(options.MinJpegQuality, options.MaxJpegQuality + 1);
        using var data = photo.Encode(SKEncodedImageFormat.Jpeg, quality)
            ?? throw new InvalidOperationException("Skia could not encode the consumer photo as JPEG.");
        return data.ToArray();
    }

    private static SKBitmap Make(SKBitmap shop, Random random, ConsumerPhotoOptions options)
    {
        // Output keeps the shop photo's aspect ratio, longest side OutputSize.
        var scale = options.OutputSize / (float)Math.Max(shop.Width, shop.Height);
        var width = Math.Max(16, (int)MathF.Round(shop.Width * scale));
        var height = Math.Max(16, (int)MathF.Round(shop.Height * scale));

        // 1. Crop: keep a random window of MinKept..1 of each side.
        var keepW = options.MinKept + ((1 - options.MinKept) * random.NextDouble());
        var keepH = options.MinKept + ((1 - options.MinKept) * random.NextDouble());
        var cropW = Math.Max(8, (int)(shop.Width * keepW));
        var cropH = Math.Max(8, (int)(shop.Height * keepH));
        var cropX = random.Next(shop.Width - cropW + 1);
        var cropY = random.Next(shop.Height - cropH + 1);
        using var cropped = PhotoTransforms.Crop(shop, SKRectI.Create(cropX, cropY, cropW, cropH));

        // 2. A room behind it.
        using var scene = PhotoTransforms.NewBitmap(width, height);
        using (var canvas = new SKCanvas(scene))
        {
            PhotoTransforms.DrawClutter(canvas, random, width, height, options.ClutterShapes);

            // 3. The photo occupies a tilted, perspective-distorted quad of MinCover..MaxCover of the frame.
            var cover = options.MinCover + ((options.MaxCover - options.MinCover) * (float)random.NextDouble());
            var fit = Math.Min(width / (float)cropW, height / (float)cropH) * cover;
            float w = cropW * fit, h = cropH * fit;
            var centre = new SKPoint(
                (width / 2f) + PhotoTransforms.Uniform(random, (width - w) / 2),
                (height / 2f) + PhotoTransforms.Uniform(random, (height - h) / 2));
            var angle = PhotoTransforms.Uniform(random, options.MaxRotationDegrees) * MathF.PI / 180;
            var jitter = options.MaxPerspective * Math.Min(w, h);
            Span<SKPoint> corners = stackalloc SKPoint[4];
            ReadOnlySpan<SKPoint> unit = [new(-0.5f, -0.5f), new(0.5f, -0.5f), new(0.5f, 0.5f), new(-0.5f, 0.5f)];
            for (var i = 0; i < 4; i++)
            {
                var x = (unit[i].X * w) + PhotoTransforms.Uniform(random, jitter);
                var y = (unit[i].Y * h) + PhotoTransforms.Uniform(random, jitter);
                corners[i] = new SKPoint(
                    centre.X + (x * MathF.Cos(angle)) - (y * MathF.Sin(angle)),
                    centre.Y + (x * MathF.Sin(angle)) + (y * MathF.Cos(angle)));
            }

            canvas.SetMatrix(PhotoTransforms.Perspective(SKRect.Create(cropW, cropH), corners));
            using var image = SKImage.FromBitmap(cropped);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), null);
        }

        // 4. Light and colour of another camera and room.
        PhotoTransforms.DrawLightFalloff(scene, random.Next(360), options.MaxLightFalloff * (float)random.NextDouble());
        var photo = PhotoTransforms.ShiftColour(
            scene,
            brightness: PhotoTransforms.Uniform(random, options.MaxBrightnessShift),
            saturation: 1 + PhotoTransforms.Uniform(random, options.MaxSaturationShift),
            warmth: PhotoTransforms.Uniform(random, options.MaxWarmthShift));

        // 5. Noise, focus, then a first lossy save (the photo was shared once before it reached the shopper).
        return PhotoTransforms.NoiseBlurAndSave(photo, random, options.MaxNoise, options.BlurProbability, options.MaxBlurSigma, width,
            options.MinJpegQuality, options.MaxJpegQuality);
    }
}

/// <summary>How far a photo made by <see cref="ConsumerPhotos.MakeJpeg"/> may stray from the shop photo.</summary>
public sealed record ConsumerPhotoOptions
{
    /// <summary>Longest side of the output in pixels. Default: 320.</summary>
    public int OutputSize { get; init; } = 320;

    /// <summary>Smallest share of each side of the shop photo the crop keeps. Default: 0.7.</summary>
    public double MinKept { get; init; } = 0.7;

    /// <summary>Smallest share of the frame the product photo covers (the rest is room). Default: 0.6.</summary>
    public float MinCover { get; init; } = 0.6f;

    /// <summary>Largest share of the frame the product photo covers. Default: 0.95.</summary>
    public float MaxCover { get; init; } = 0.95f;

    /// <summary>Largest tilt either way, in degrees. Default: 15.</summary>
    public float MaxRotationDegrees { get; init; } = 15;

    /// <summary>Largest corner displacement of the perspective, as a share of the photo's shorter side. Default: 0.08.</summary>
    public float MaxPerspective { get; init; } = 0.08f;

    /// <summary>How many random shapes clutter the room. Default: 14.</summary>
    public int ClutterShapes { get; init; } = 14;

    /// <summary>Largest darkening towards one side (0–1). Default: 0.35.</summary>
    public float MaxLightFalloff { get; init; } = 0.35f;

    /// <summary>Largest brightness change either way, as a fraction of full scale. Default: 0.12.</summary>
    public float MaxBrightnessShift { get; init; } = 0.12f;

    /// <summary>Largest saturation change either way, as a factor offset from 1. Default: 0.25.</summary>
    public float MaxSaturationShift { get; init; } = 0.25f;

    /// <summary>Largest white-balance change either way. Default: 0.5.</summary>
    public float MaxWarmthShift { get; init; } = 0.5f;

    /// <summary>Largest sensor noise, in levels of 255 either way per channel. Default: 6.</summary>
    public int MaxNoise { get; init; } = 6;

    /// <summary>Chance that the photo is out of focus. Default: 0.5.</summary>
    public double BlurProbability { get; init; } = 0.5;

    /// <summary>Largest blur sigma, in pixels of a 256-pixel-wide image. Default: 1.5.</summary>
    public float MaxBlurSigma { get; init; } = 1.5f;

    /// <summary>Lowest JPEG quality of each of the two saves. Default: 35.</summary>
    public int MinJpegQuality { get; init; } = 35;

    /// <summary>Highest JPEG quality of each of the two saves. Default: 85.</summary>
    public int MaxJpegQuality { get; init; } = 85;

    /// <summary>The defaults above.</summary>
    public static ConsumerPhotoOptions Default { get; } = new();
}
