using SkiaSharp;

namespace OutfitFinder.Lab.Photos;

/// <summary>
/// Makes a harder synthetic "street photo" of the product in a shop photo: the garment is cut out
/// (or the whole photo kept when no cut-out can be had), shrunk to 15–50 % of the frame, tilted and
/// seen in perspective, and pasted onto another real photo — which shows other garments, floors,
/// beds and hands — then partly covered by a piece of that photo, lit unevenly, colour-shifted,
/// given noise, often blurred and saved as a low-quality JPEG twice over. Unlike
/// <see cref="ConsumerPhotos"/>, most of the frame is somebody else's garment.
/// </summary>
/// <remarks>
/// The cut-out is a plain background key: the photos are phone shots of one garment on a floor,
/// bed or wall, so the colour of the photo's border ring stands for the background and pixels far
/// from it are the garment. When the key keeps under <see cref="StreetPhotoOptions.MinMaskShare"/>
/// or over <see cref="StreetPhotoOptions.MaxMaskShare"/> of the photo (patterned floor, garment
/// touching the border) it is not trusted and the whole photo is pasted instead.
/// </remarks>
public static class StreetPhotos
{
    private static readonly SKSamplingOptions Smooth = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>
    /// A street view of <paramref name="shop"/> on <paramref name="street"/> as JPEG bytes; equal
    /// inputs and seeds give identical bytes.
    /// </summary>
    /// <param name="shop">The product's shop photo; not modified.</param>
    /// <param name="street">Another photo, the scene the garment is put into; not modified.</param>
    /// <param name="seed">Chooses every random change.</param>
    /// <param name="options">Limits of the changes; <see cref="StreetPhotoOptions.Default"/> when null.</param>
    public static byte[] MakeJpeg(SKBitmap shop, SKBitmap street, int seed, StreetPhotoOptions? options = null)
    {
        var (jpeg, _) = Make(shop, street, seed, options);
        return jpeg;
    }

    /// <summary>As <see cref="MakeJpeg"/>, also returning where the garment's bounding box landed, in output pixels.</summary>
    public static (byte[] Jpeg, SKRect GarmentBox) Make(SKBitmap shop, SKBitmap street, int seed, StreetPhotoOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shop);
        ArgumentNullException.ThrowIfNull(street);
        options ??= StreetPhotoOptions.Default;
        var random = new Random(seed);
        var (photo, box) = Compose(shop, street, random, options);
        using (photo)
        {
            var quality = random.Next(options.MinJpegQuality, options.MaxJpegQuality + 1);
            using var data = photo.Encode(SKEncodedImageFormat.Jpeg, quality)
                ?? throw new InvalidOperationException("Skia could not encode the street photo as JPEG.");
            return (data.ToArray(), box);
        }
    }

    /// <summary>
    /// The garment of <paramref name="shop"/> on a transparent background, cropped to its bounding
    /// box: pixels whose colour is far from the photo's border ring are kept. Returns the whole
    /// photo (opaque) when the key keeps too little or too much of it.
    /// </summary>
    public static SKBitmap CutOut(SKBitmap shop, StreetPhotoOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shop);
        options ??= StreetPhotoOptions.Default;
        using var copy = PhotoTransforms.Copy(shop);
        var pixels = PhotoTransforms.Pixels(copy);
        int width = copy.Width, height = copy.Height;

        // Background colour: the mean of a ring 4 % of the shorter side wide around the border.
        var ring = Math.Max(1, Math.Min(width, height) / 25);
        double sumR = 0, sumG = 0, sumB = 0;
        var count = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (x >= ring && x < width - ring && y >= ring && y < height - ring)
                {
                    continue;
                }

                var i = ((y * width) + x) * 4;
                sumR += pixels[i];
                sumG += pixels[i + 1];
                sumB += pixels[i + 2];
                count++;
            }
        }

        float backR = (float)(sumR / count), backG = (float)(sumG / count), backB = (float)(sumB / count);

        // Alpha ramps from 0 at KeyDistance/2 to 255 at KeyDistance of colour distance; premultiplied.
        var alpha = new byte[width * height];
        var kept = 0;
        int left = width, top = height, right = -1, bottom = -1;
        var (near, far) = (options.KeyDistance / 2, options.KeyDistance);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 4;
                float dr = pixels[i] - backR, dg = pixels[i + 1] - backG, db = pixels[i + 2] - backB;
                var distance = MathF.Sqrt((dr * dr) + (dg * dg) + (db * db));
                var a = (byte)Math.Clamp((distance - near) / (far - near) * 255, 0, 255);
                alpha[(y * width) + x] = a;
                if (a > 127)
                {
                    kept++;
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        var share = kept / (double)(width * height);
        if (share < options.MinMaskShare || share > options.MaxMaskShare)
        {
            return PhotoTransforms.Copy(shop);
        }

        for (var p = 0; p < alpha.Length; p++)
        {
            var i = p * 4;
            var a = alpha[p];
            pixels[i] = (byte)(pixels[i] * a / 255);
            pixels[i + 1] = (byte)(pixels[i + 1] * a / 255);
            pixels[i + 2] = (byte)(pixels[i + 2] * a / 255);
            pixels[i + 3] = a;
        }

        return PhotoTransforms.Crop(copy, new SKRectI(left, top, right + 1, bottom + 1));
    }

    private static (SKBitmap Photo, SKRect GarmentBox) Compose(SKBitmap shop, SKBitmap street, Random random, StreetPhotoOptions options)
    {
        // The scene keeps the street photo's aspect, longest side OutputSize.
        var scale = options.OutputSize / (float)Math.Max(street.Width, street.Height);
        var width = Math.Max(16, (int)MathF.Round(street.Width * scale));
        var height = Math.Max(16, (int)MathF.Round(street.Height * scale));
        using var garment = CutOut(shop, options);

        var scene = PhotoTransforms.NewBitmap(width, height);
        SKRect box;
        using (var canvas = new SKCanvas(scene))
        {
            using (var streetImage = SKImage.FromBitmap(street))
            {
                canvas.DrawImage(streetImage, SKRect.Create(width, height), Smooth);
            }

            // The garment's bounding box covers MinCover..MaxCover of the frame's area.
            var cover = options.MinCover + ((options.MaxCover - options.MinCover) * (float)random.NextDouble());
            var fit = MathF.Sqrt(cover * width * height / (garment.Width * (float)garment.Height));
            fit = Math.Min(fit, 0.95f * Math.Min(width / (float)garment.Width, height / (float)garment.Height));
            float w = garment.Width * fit, h = garment.Height * fit;
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

            box = new SKRect(
                Math.Max(0, Min(corners, c => c.X)), Math.Max(0, Min(corners, c => c.Y)),
                Math.Min(width, Max(corners, c => c.X)), Math.Min(height, Max(corners, c => c.Y)));
            canvas.Save();
            canvas.SetMatrix(PhotoTransforms.Perspective(SKRect.Create(garment.Width, garment.Height), corners));
            using (var image = SKImage.FromBitmap(garment))
            {
                canvas.DrawImage(image, 0, 0, Smooth, null);
            }

            canvas.Restore();

            // Occlusion: a piece of the scene itself (another garment, a hand, a bag strap) laid over
            // one edge of the garment, hiding up to MaxOcclusion of its box.
            if (random.NextDouble() < options.OcclusionProbability)
            {
                var hidden = (float)random.NextDouble() * options.MaxOcclusion;
                var (ow, oh) = random.Next(2) == 0 ? (box.Width * hidden, box.Height) : (box.Width, box.Height * hidden);
                var side = random.Next(4);
                var target = side switch
                {
                    0 => SKRect.Create(box.Left, box.Top, ow, oh),
                    1 => SKRect.Create(box.Right - ow, box.Bottom - oh, ow, oh),
                    2 => SKRect.Create(box.Left, box.Bottom - oh, ow, oh),
                    _ => SKRect.Create(box.Right - ow, box.Top, ow, oh),
                };
                var sourceX = (float)random.NextDouble() * Math.Max(1, street.Width - (ow / scale));
                var sourceY = (float)random.NextDouble() * Math.Max(1, street.Height - (oh / scale));
                using var piece = SKImage.FromBitmap(street);
                using var clip = new SKPath();
                clip.AddRoundRect(target, target.Width / 4, target.Height / 4);
                canvas.Save();
                canvas.ClipPath(clip, antialias: true);
                canvas.DrawImage(piece, SKRect.Create(sourceX, sourceY, ow / scale, oh / scale), target, Smooth);
                canvas.Restore();
            }
        }

        // Light and colour of another camera and place.
        PhotoTransforms.DrawLightFalloff(scene, random.Next(360), options.MaxLightFalloff * (float)random.NextDouble());
        SKBitmap photo;
        using (scene)
        {
            photo = PhotoTransforms.ShiftColour(
                scene,
                brightness: PhotoTransforms.Uniform(random, options.MaxBrightnessShift),
                saturation: 1 + PhotoTransforms.Uniform(random, options.MaxSaturationShift),
                warmth: PhotoTransforms.Uniform(random, options.MaxWarmthShift));
        }

        photo = PhotoTransforms.NoiseBlurAndSave(photo, random, options.MaxNoise, options.BlurProbability, options.MaxBlurSigma, width,
            options.MinJpegQuality, options.MaxJpegQuality);
        return (photo, box);
    }

    private static float Min(ReadOnlySpan<SKPoint> points, Func<SKPoint, float> value)
    {
        var min = float.MaxValue;
        foreach (var point in points)
        {
            min = Math.Min(min, value(point));
        }

        return min;
    }

    private static float Max(ReadOnlySpan<SKPoint> points, Func<SKPoint, float> value)
    {
        var max = float.MinValue;
        foreach (var point in points)
        {
            max = Math.Max(max, value(point));
        }

        return max;
    }
}

/// <summary>How hard a photo made by <see cref="StreetPhotos.MakeJpeg"/> is.</summary>
public sealed record StreetPhotoOptions
{
    /// <summary>Longest side of the output in pixels. Default: 320.</summary>
    public int OutputSize { get; init; } = 320;

    /// <summary>Smallest share of the frame's area the garment's bounding box covers. Default: 0.15.</summary>
    public float MinCover { get; init; } = 0.15f;

    /// <summary>Largest share of the frame's area the garment's bounding box covers. Default: 0.5.</summary>
    public float MaxCover { get; init; } = 0.5f;

    /// <summary>Colour distance (RGB levels) from the border colour at which a pixel counts fully as garment. Default: 60.</summary>
    public float KeyDistance { get; init; } = 60;

    /// <summary>The cut-out is used only when it keeps at least this share of the photo. Default: 0.08.</summary>
    public double MinMaskShare { get; init; } = 0.08;

    /// <summary>The cut-out is used only when it keeps at most this share of the photo. Default: 0.85.</summary>
    public double MaxMaskShare { get; init; } = 0.85;

    /// <summary>Largest tilt either way, in degrees. Default: 20.</summary>
    public float MaxRotationDegrees { get; init; } = 20;

    /// <summary>Largest corner displacement of the perspective, as a share of the garment's shorter side. Default: 0.1.</summary>
    public float MaxPerspective { get; init; } = 0.1f;

    /// <summary>Chance that part of the garment is hidden. Default: 0.6.</summary>
    public double OcclusionProbability { get; init; } = 0.6;

    /// <summary>Largest share of the garment's box width or height an occluder hides. Default: 0.35.</summary>
    public float MaxOcclusion { get; init; } = 0.35f;

    /// <summary>Largest darkening towards one side (0–1). Default: 0.4.</summary>
    public float MaxLightFalloff { get; init; } = 0.4f;

    /// <summary>Largest brightness change either way, as a fraction of full scale. Default: 0.15.</summary>
    public float MaxBrightnessShift { get; init; } = 0.15f;

    /// <summary>Largest saturation change either way, as a factor offset from 1. Default: 0.3.</summary>
    public float MaxSaturationShift { get; init; } = 0.3f;

    /// <summary>Largest white-balance change either way. Default: 0.6.</summary>
    public float MaxWarmthShift { get; init; } = 0.6f;

    /// <summary>Largest sensor noise, in levels of 255 either way per channel. Default: 8.</summary>
    public int MaxNoise { get; init; } = 8;

    /// <summary>Chance that the photo is out of focus. Default: 0.6.</summary>
    public double BlurProbability { get; init; } = 0.6;

    /// <summary>Largest blur sigma, in pixels of a 256-pixel-wide image. Default: 1.5.</summary>
    public float MaxBlurSigma { get; init; } = 1.5f;

    /// <summary>Lowest JPEG quality of each of the two saves. Default: 30.</summary>
    public int MinJpegQuality { get; init; } = 30;

    /// <summary>Highest JPEG quality of each of the two saves. Default: 80.</summary>
    public int MaxJpegQuality { get; init; } = 80;

    /// <summary>The defaults above.</summary>
    public static StreetPhotoOptions Default { get; } = new();
}
