using System.Runtime.InteropServices;
using SkiaSharp;

namespace OutfitFinder.Lab.Photos;

/// <summary>
/// Pixel-level changes that turn one photo into another photo of the same thing: crop, tilt,
/// perspective, colour and light, sensor noise, blur, background clutter and JPEG recompression.
/// They make synthetic street photos for evaluation and tests. Every method returns a new opaque
/// <see cref="SKColorType.Rgba8888"/> bitmap owned by the caller and is deterministic for its
/// arguments (including the state of a <see cref="Random"/> passed in).
/// </summary>
public static class PhotoTransforms
{
    private static readonly SKSamplingOptions Smooth = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>A blank bitmap in this class's pixel layout (RGBA, 8 bits each, premultiplied).</summary>
    public static SKBitmap NewBitmap(int width, int height) =>
        new(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));

    /// <summary>A copy in this class's pixel layout, whatever the source's layout.</summary>
    public static SKBitmap Copy(SKBitmap source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bitmap = NewBitmap(source.Width, source.Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Transparent);
        canvas.DrawBitmap(source, 0, 0);
        return bitmap;
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

    /// <summary>
    /// Uneven light: darkens the image towards one side by up to <paramref name="strength"/> (0–1)
    /// along <paramref name="angleDegrees"/>, as a window on one side of a room would.
    /// </summary>
    public static void DrawLightFalloff(SKBitmap bitmap, float angleDegrees, float strength)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var radians = angleDegrees * MathF.PI / 180;
        var centre = new SKPoint(bitmap.Width / 2f, bitmap.Height / 2f);
        var reach = Math.Max(bitmap.Width, bitmap.Height) / 2f;
        var from = new SKPoint(centre.X - (MathF.Cos(radians) * reach), centre.Y - (MathF.Sin(radians) * reach));
        var to = new SKPoint(centre.X + (MathF.Cos(radians) * reach), centre.Y + (MathF.Sin(radians) * reach));
        var shade = new SKColor(0, 0, 0, (byte)Math.Clamp(strength * 255, 0, 255));
        using var shader = SKShader.CreateLinearGradient(from, to, [SKColors.Transparent, shade], SKShaderTileMode.Clamp);
        using var paint = new SKPaint { Shader = shader };
        using var canvas = new SKCanvas(bitmap);
        canvas.DrawRect(SKRect.Create(bitmap.Width, bitmap.Height), paint);
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

    /// <summary>Adds uniform noise of up to ±<paramref name="amplitude"/> levels to every colour channel, in place.</summary>
    public static void AddNoise(SKBitmap bitmap, Random random, int amplitude)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        ArgumentNullException.ThrowIfNull(random);
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

    /// <summary>A room, roughly: a two-tone gradient and overlapping furniture-like shapes in random colours.</summary>
    public static void DrawClutter(SKCanvas canvas, Random random, int width, int height, int shapes)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(random);

        // Rooms are less saturated than fabric: each colour is pulled a third of the way to grey.
        byte Channel() => (byte)(((random.Next(256) * 2) + 128) / 3);
        SKColor RandomColour(byte alpha) => new(Channel(), Channel(), Channel(), alpha);

        var wall = RandomColour(255);
        var floor = new SKColor((byte)(wall.Red * 0.55f), (byte)(wall.Green * 0.55f), (byte)(wall.Blue * 0.55f));
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, height), [wall, floor], SKShaderTileMode.Clamp))
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

    /// <summary>
    /// The projective transform that maps the corners of <paramref name="source"/> (top-left,
    /// top-right, bottom-right, bottom-left) onto <paramref name="corners"/>, in that order:
    /// a flat picture seen from an angle.
    /// </summary>
    public static SKMatrix Perspective(SKRect source, ReadOnlySpan<SKPoint> corners)
    {
        if (corners.Length != 4)
        {
            throw new ArgumentException("A perspective needs exactly four corners.", nameof(corners));
        }

        // Solve the eight unknowns of the homography (the ninth is fixed to 1) from the four
        // point pairs; SkiaSharp does not expose Skia's setPolyToPoly.
        ReadOnlySpan<SKPoint> from = [new(source.Left, source.Top), new(source.Right, source.Top), new(source.Right, source.Bottom), new(source.Left, source.Bottom)];
        var a = new double[8, 9];
        for (var i = 0; i < 4; i++)
        {
            double x = from[i].X, y = from[i].Y, u = corners[i].X, v = corners[i].Y;
            double[] rowU = [x, y, 1, 0, 0, 0, -u * x, -u * y, u];
            double[] rowV = [0, 0, 0, x, y, 1, -v * x, -v * y, v];
            for (var j = 0; j < 9; j++)
            {
                a[2 * i, j] = rowU[j];
                a[(2 * i) + 1, j] = rowV[j];
            }
        }

        var h = SolveLinear(a);
        return new SKMatrix((float)h[0], (float)h[1], (float)h[2], (float)h[3], (float)h[4], (float)h[5], (float)h[6], (float)h[7], 1);
    }

    /// <summary>Encodes as JPEG at <paramref name="quality"/> and decodes again: the blocking and ringing a re-shared photo carries.</summary>
    public static SKBitmap RecompressJpeg(SKBitmap source, int quality)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var data = source.Encode(SKEncodedImageFormat.Jpeg, quality)
            ?? throw new InvalidOperationException($"Skia could not encode a {source.Width}×{source.Height} bitmap as JPEG.");
        using var decoded = SKBitmap.Decode(data) ?? throw new InvalidOperationException("Skia could not decode its own JPEG.");
        return Copy(decoded);
    }

    /// <summary>
    /// The camera's last steps, shared by every made photo: sensor noise, a blur with probability
    /// <paramref name="blurProbability"/> (sigma up to <paramref name="maxBlurSigma"/> per 256 px of
    /// <paramref name="width"/>), then one lossy save at a quality in [<paramref name="minJpegQuality"/>,
    /// <paramref name="maxJpegQuality"/>]. Takes ownership of <paramref name="photo"/>; draws from
    /// <paramref name="random"/> in a fixed order, so a seed keeps giving the same bytes.
    /// </summary>
    public static SKBitmap NoiseBlurAndSave(SKBitmap photo, Random random, int maxNoise, double blurProbability, float maxBlurSigma, int width,
        int minJpegQuality, int maxJpegQuality)
    {
        AddNoise(photo, random, random.Next(maxNoise + 1));
        if (random.NextDouble() < blurProbability)
        {
            using var sharp = photo;
            photo = Blur(sharp, (0.3f + (0.7f * (float)random.NextDouble())) * maxBlurSigma * width / 256f);
        }

        using var once = photo;
        return RecompressJpeg(once, random.Next(minJpegQuality, maxJpegQuality + 1));
    }

    /// <summary>The writable pixels of a bitmap made by <see cref="NewBitmap"/>; valid while the bitmap lives.</summary>
    public static Span<byte> Pixels(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var pixels = bitmap.GetPixelSpan();
        return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(pixels), pixels.Length);
    }

    /// <summary>Uniform in [−<paramref name="spread"/>, +<paramref name="spread"/>].</summary>
    public static float Uniform(Random random, float spread)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (((float)random.NextDouble() * 2) - 1) * spread;
    }

    private static byte Clamp(float value) => (byte)Math.Clamp(MathF.Round(value), 0, 255);

    /// <summary>Gauss-Jordan elimination with partial pivoting on an n × (n+1) augmented matrix.</summary>
    private static double[] SolveLinear(double[,] a)
    {
        var n = a.GetLength(0);
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < n; row++)
            {
                if (Math.Abs(a[row, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = row;
                }
            }

            if (Math.Abs(a[pivot, col]) < 1e-12)
            {
                throw new ArgumentException("The corners are degenerate: three of them lie on one line.");
            }

            for (var j = 0; j <= n; j++)
            {
                (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            }

            for (var row = 0; row < n; row++)
            {
                if (row == col)
                {
                    continue;
                }

                var factor = a[row, col] / a[col, col];
                for (var j = col; j <= n; j++)
                {
                    a[row, j] -= factor * a[col, j];
                }
            }
        }

        var solution = new double[n];
        for (var i = 0; i < n; i++)
        {
            solution[i] = a[i, n] / a[i, i];
        }

        return solution;
    }
}
