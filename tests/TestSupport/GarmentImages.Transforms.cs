using System.Runtime.InteropServices;
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
            DrawClutter(canvas, random, width, height, options.ClutterShapes);
            canvas.SetMatrix(toView);
            using var image = SKImage.FromBitmap(cutout);
            canvas.DrawImage(image, 0, 0, Smooth, null);
        }

        var photo = ShiftColour(
            scene,
            brightness: Uniform(random, options.MaxBrightnessShift),
            saturation: 1 + Uniform(random, options.MaxSaturationShift),
            warmth: Uniform(random, options.MaxWarmthShift));
        AddNoise(photo, random, random.Next(options.MaxNoise + 1));

        if (random.NextDouble() < options.BlurProbability)
        {
            var sigma = (0.3f + ((float)random.NextDouble() * 0.7f)) * options.MaxBlurSigma * width / 256f;
            using var sharp = photo;
            photo = Blur(sharp, sigma);
        }

        return photo;
    }

    /// <summary>Copies the part of <paramref name="source"/> inside <paramref name="rect"/> (clipped to the image) into a new bitmap.</summary>
    public static SKBitmap Crop(SKBitmap source, SKRectI rect)
    {
        ArgumentNullException.ThrowIfNull(source);
        var clipped = SKRectI.Intersect(rect, new SKRectI(0, 0, source.Width, source.Height));
        if (clipped.IsEmpty)
        {
            throw new ArgumentException($"Crop {rect} does not overlap the {source.Width}×{source.Height} image.", nameof(rect));
        }

        var bitmap = NewBitmap(clipped.Width, clipped.Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.DrawBitmap(source, SKRect.Create(clipped.Left, clipped.Top, clipped.Width, clipped.Height), SKRect.Create(clipped.Width, clipped.Height));
        return bitmap;
    }

    /// <summary>
    /// Rotates <paramref name="source"/> about its centre by <paramref name="degrees"/> (clockwise
    /// positive), keeping its size; corners it uncovers take <paramref name="fill"/>, or the
    /// source's top-left pixel when null.
    /// </summary>
    public static SKBitmap Rotate(SKBitmap source, float degrees, SKColor? fill = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bitmap = NewBitmap(source.Width, source.Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(fill ?? source.GetPixel(0, 0));
        canvas.RotateDegrees(degrees, source.Width / 2f, source.Height / 2f);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, Smooth, null);
        return bitmap;
    }

    /// <summary>Scales <paramref name="source"/> to exactly <paramref name="width"/> × <paramref name="height"/> with smooth (mipmapped linear) sampling.</summary>
    public static SKBitmap Resize(SKBitmap source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var bitmap = NewBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, SKRect.Create(width, height), Smooth);
        return bitmap;
    }

    /// <summary>
    /// Changes colours the way a different camera or light would.
    /// </summary>
    /// <param name="source">Image to change; not modified.</param>
    /// <param name="brightness">Added to every channel as a fraction of full scale: 0.1 adds 25.5 levels.</param>
    /// <param name="saturation">Distance from grey is multiplied by this: 0 is greyscale, 1 unchanged.</param>
    /// <param name="warmth">White balance: +1 adds 24 levels of red and takes 24 of blue, −1 the reverse.</param>
    public static SKBitmap ShiftColour(SKBitmap source, float brightness, float saturation = 1, float warmth = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bitmap = Copy(source);
        var pixels = Pixels(bitmap);
        var lift = brightness * 255;
        var warm = warmth * 24;
        for (var i = 0; i < pixels.Length; i += 4)
        {
            float r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            var grey = (0.299f * r) + (0.587f * g) + (0.114f * b);
            pixels[i] = Clamp(grey + ((r - grey) * saturation) + lift + warm);
            pixels[i + 1] = Clamp(grey + ((g - grey) * saturation) + lift);
            pixels[i + 2] = Clamp(grey + ((b - grey) * saturation) + lift - warm);
        }

        return bitmap;
    }

    /// <summary>Gaussian blur with standard deviation <paramref name="sigma"/> pixels; edges are extended, not darkened.</summary>
    public static SKBitmap Blur(SKBitmap source, float sigma)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);
        var bitmap = NewBitmap(source.Width, source.Height);
        using var canvas = new SKCanvas(bitmap);
        using var filter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp);
        using var paint = new SKPaint { ImageFilter = filter };
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, Smooth, paint);
        return bitmap;
    }

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

    /// <summary>A room, roughly: a two-tone gradient and overlapping furniture-like shapes in random colours.</summary>
    private static void DrawClutter(SKCanvas canvas, Random random, int width, int height, int shapes)
    {
        // Rooms are less saturated than fabric: each colour is pulled a third of the way to grey.
        byte Channel() => (byte)(((random.Next(256) * 2) + 128) / 3);
        SKColor RandomColour(byte alpha) => new(Channel(), Channel(), Channel(), alpha);

        var wall = RandomColour(255);
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, height), [wall, Darker(wall, 0.55f)], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(SKRect.Create(width, height), paint);
        }

        using var shape = new SKPaint { IsAntialias = true };
        for (var i = 0; i < shapes; i++)
        {
            shape.Color = RandomColour((byte)random.Next(150, 256));
            shape.Style = random.Next(4) == 0 ? SKPaintStyle.Stroke : SKPaintStyle.Fill;
            shape.StrokeWidth = 1 + (random.Next(6) * width / 256f);
            var x = (float)random.NextDouble() * width;
            var y = (float)random.NextDouble() * height;
            var w = (0.05f + ((float)random.NextDouble() * 0.4f)) * width;
            var h = (0.05f + ((float)random.NextDouble() * 0.4f)) * height;
            switch (random.Next(4))
            {
                case 0:
                    canvas.DrawRect(x - (w / 2), y - (h / 2), w, h, shape);
                    break;
                case 1:
                    canvas.DrawOval(x, y, w / 2, h / 2, shape);
                    break;
                case 2:
                    canvas.DrawRoundRect(x - (w / 2), y - (h / 2), w, h, w / 6, h / 6, shape);
                    break;
                default:
                    shape.StrokeWidth = Math.Max(shape.StrokeWidth, 2);
                    canvas.DrawLine(x, y, x + w - (width * 0.2f), y + h - (height * 0.2f), shape);
                    break;
            }
        }
    }

    private static void AddNoise(SKBitmap bitmap, Random random, int amplitude)
    {
        if (amplitude == 0)
        {
            return;
        }

        var pixels = Pixels(bitmap);
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i % 4 != 3)
            {
                pixels[i] = Clamp(pixels[i] + random.Next(-amplitude, amplitude + 1));
            }
        }
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

    /// <summary>Uniform in [−<paramref name="spread"/>, +<paramref name="spread"/>].</summary>
    private static float Uniform(Random random, float spread) => (((float)random.NextDouble() * 2) - 1) * spread;

    private static byte Clamp(float value) => (byte)Math.Clamp(MathF.Round(value), 0, 255);

    /// <summary>A copy in this class's pixel layout (RGBA, 8 bits each, premultiplied), whatever the source's layout.</summary>
    internal static SKBitmap Copy(SKBitmap source)
    {
        var bitmap = NewBitmap(source.Width, source.Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Transparent);
        canvas.DrawBitmap(source, 0, 0);
        return bitmap;
    }

    /// <summary>The writable pixels of a bitmap made by <see cref="NewBitmap"/>; valid while the bitmap lives.</summary>
    internal static Span<byte> Pixels(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(pixels), pixels.Length);
    }
}
