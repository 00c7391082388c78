using System.Runtime.InteropServices;
using OutfitFinder.Lab.Photos;
using SkiaSharp;

namespace OutfitFinder.TestSupport;

public static partial class GarmentImages
{
    /// <summary>
    /// Turns a shop shot into a "street photo" of the same item: the garment is cut from its
    /// studio background, tilted, placed on a cluttered scene, cropped (keeping at least
    /// <see cref="ConsumerViewOptions.MinGarmentKept"/> of it), then given a colour cast, sensor
    /// noise and sometimes blur. Equal inputs and seeds give identical pixels.
    /// </summary>
    /// <param name="shop">A shop shot: a garment on a plain background that touches the image border.</param>
    /// <param name="seed">Chooses every random change; different seeds give different photos.</param>
    /// <param name="options">Limits of the changes; <see cref="ConsumerViewOptions.Default"/> when null.</param>
    public static SKBitmap ConsumerView(SKBitmap shop, int seed, ConsumerViewOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shop);
        options ??= ConsumerViewOptions.Default;
        var width = options.Width ?? shop.Width;
        var height = options.Height ?? shop.Height;
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);

        var random = new Random(seed);
        using var cutout = Cutout(shop, out var garment);

        var bounds = Bounds(garment);
        var rotate = SKMatrix.CreateRotationDegrees(Uniform(random, options.MaxRotationDegrees), bounds.MidX, bounds.MidY);
        var tilted = rotate.MapPoints(garment.ToArray());
        var window = ChooseWindow(random, tilted, width / (float)height, options.MinGarmentKept);
        var toView = SKMatrix.Concat(
            SKMatrix.CreateScaleTranslation(width / window.Width, height / window.Height, -window.Left * width / window.Width, -window.Top * height / window.Height),
            rotate);

        using var scene = NewBitmap(width, height);
        using (var canvas = new SKCanvas(scene))
        {
            PhotoTransforms.DrawClutter(canvas, random, width, height, options.ClutterShapes);
            canvas.SetMatrix(toView);
            using var image = SKImage.FromBitmap(cutout);
            canvas.DrawImage(image, 0, 0, Smooth, null);
        }

        var photo = ShiftColour(
            scene,
            brightness: Uniform(random, options.MaxBrightnessShift),
            saturation: 1 + Uniform(random, options.MaxSaturationShift),
            warmth: Uniform(random, options.MaxWarmthShift));
        PhotoTransforms.AddNoise(photo, random, random.Next(options.MaxNoise + 1));

        if (random.NextDouble() < options.BlurProbability)
        {
            var sigma = (0.3f + ((float)random.NextDouble() * 0.7f)) * options.MaxBlurSigma * width / 256f;
            using var sharp = photo;
            photo = Blur(sharp, sigma);
        }

        return photo;
    }

    /// <inheritdoc cref="PhotoTransforms.Crop"/>
    public static SKBitmap Crop(SKBitmap source, SKRectI rect) => PhotoTransforms.Crop(source, rect);

    /// <inheritdoc cref="PhotoTransforms.Rotate"/>
    public static SKBitmap Rotate(SKBitmap source, float degrees, SKColor? fill = null) => PhotoTransforms.Rotate(source, degrees, fill);

    /// <inheritdoc cref="PhotoTransforms.Resize"/>
    public static SKBitmap Resize(SKBitmap source, int width, int height) => PhotoTransforms.Resize(source, width, height);

    /// <inheritdoc cref="PhotoTransforms.ShiftColour"/>
    public static SKBitmap ShiftColour(SKBitmap source, float brightness, float saturation = 1, float warmth = 0) =>
        PhotoTransforms.ShiftColour(source, brightness, saturation, warmth);

    /// <inheritdoc cref="PhotoTransforms.Blur"/>
    public static SKBitmap Blur(SKBitmap source, float sigma) => PhotoTransforms.Blur(source, sigma);

    /// <summary>
    /// Separates the garment from a plain studio background: the background is whatever joins
    /// the image border through pixels within a small distance of the top-left corner's colour,
    /// so a garment as light as the backdrop still survives inside its outline.
    /// </summary>
    /// <returns>A copy with the background transparent; <paramref name="garment"/> holds every second garment pixel in each direction.</returns>
    private static SKBitmap Cutout(SKBitmap shop, out List<SKPoint> garment)
    {
        const int Tolerance = 14;
        var bitmap = Copy(shop);
        var pixels = MemoryMarshal.Cast<byte, uint>(Pixels(bitmap));
        int w = bitmap.Width, h = bitmap.Height;
        var backdrop = pixels[0];
        bool Near(uint p) =>
            Math.Abs((int)(p & 0xFF) - (int)(backdrop & 0xFF)) <= Tolerance
            && Math.Abs((int)((p >> 8) & 0xFF) - (int)((backdrop >> 8) & 0xFF)) <= Tolerance
            && Math.Abs((int)((p >> 16) & 0xFF) - (int)((backdrop >> 16) & 0xFF)) <= Tolerance;

        var background = new bool[w * h];
        var pending = new Stack<int>();
        for (var x = 0; x < w; x++)
        {
            pending.Push(x);
            pending.Push(((h - 1) * w) + x);
        }

        for (var y = 0; y < h; y++)
        {
            pending.Push(y * w);
            pending.Push((y * w) + w - 1);
        }

        while (pending.TryPop(out var i))
        {
            if (background[i] || !Near(pixels[i]))
            {
                continue;
            }

            background[i] = true;
            int x = i % w, y = i / w;
            if (x > 0) { pending.Push(i - 1); }
            if (x < w - 1) { pending.Push(i + 1); }
            if (y > 0) { pending.Push(i - w); }
            if (y < h - 1) { pending.Push(i + w); }
        }

        // The outline's anti-aliased rim is half backdrop: drop the garment's outermost pixel
        // ring too, or the cutout keeps a pale halo on a dark scene.
        var rim = new bool[w * h];
        for (var i = 0; i < pixels.Length; i++)
        {
            int x = i % w, y = i / w;
            rim[i] = !background[i]
                && ((x > 0 && background[i - 1]) || (x < w - 1 && background[i + 1]) || (y > 0 && background[i - w]) || (y < h - 1 && background[i + w]));
        }

        garment = [];
        for (var i = 0; i < pixels.Length; i++)
        {
            if (background[i] || rim[i])
            {
                pixels[i] = 0;
            }
            else if ((i % w) % 2 == 0 && (i / w) % 2 == 0)
            {
                garment.Add(new SKPoint(i % w, i / w));
            }
        }

        if (garment.Count == 0)
        {
            // Nothing stands out from the backdrop: treat the whole frame as the subject.
            garment.AddRange([new(0, 0), new(w, 0), new(0, h), new(w, h)]);
        }

        return bitmap;
    }

    /// <summary>
    /// Picks the part of the tilted scene that the photo shows, with the output's aspect ratio:
    /// random zoom and offset around the garment, redrawn until at least
    /// <paramref name="minKept"/> of the garment's pixels are inside.
    /// </summary>
    private static SKRect ChooseWindow(Random random, SKPoint[] garment, float aspect, double minKept)
    {
        var bounds = Bounds(garment);
        var fit = Math.Max(bounds.Width, bounds.Height * aspect);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var width = fit * (0.8f + ((float)random.NextDouble() * 0.7f));
            var height = width / aspect;
            var centre = new SKPoint(bounds.MidX + (Uniform(random, 0.15f) * width), bounds.MidY + (Uniform(random, 0.15f) * height));
            var window = SKRect.Create(centre.X - (width / 2), centre.Y - (height / 2), width, height);
            var kept = garment.Count(window.Contains);
            if (kept >= minKept * garment.Length)
            {
                return window;
            }
        }

        // A window a fifth larger than the garment, centred on it, keeps all of it.
        var safe = fit * 1.2f;
        return SKRect.Create(bounds.MidX - (safe / 2), bounds.MidY - (safe / aspect / 2), safe, safe / aspect);
    }

    private static SKRect Bounds(IReadOnlyList<SKPoint> points)
    {
        float left = float.MaxValue, top = float.MaxValue, right = float.MinValue, bottom = float.MinValue;
        foreach (var p in points)
        {
            left = Math.Min(left, p.X);
            top = Math.Min(top, p.Y);
            right = Math.Max(right, p.X);
            bottom = Math.Max(bottom, p.Y);
        }

        return new SKRect(left, top, Math.Max(right, left + 1), Math.Max(bottom, top + 1));
    }

    private static float Uniform(Random random, float spread) => PhotoTransforms.Uniform(random, spread);

    /// <summary>A copy in this class's pixel layout (RGBA, 8 bits each, premultiplied), whatever the source's layout.</summary>
    internal static SKBitmap Copy(SKBitmap source) => PhotoTransforms.Copy(source);

    /// <summary>The writable pixels of a bitmap made by <see cref="NewBitmap"/>; valid while the bitmap lives.</summary>
    internal static Span<byte> Pixels(SKBitmap bitmap) => PhotoTransforms.Pixels(bitmap);
}
