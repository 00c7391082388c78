using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>
/// Draws garments procedurally: a studio "shop shot" from a <see cref="GarmentSpec"/>, and
/// "street photos" of the same item, so tests and benchmarks need no image files. Every method
/// is deterministic for its arguments and returns a new opaque <see cref="SKColorType.Rgba8888"/>
/// bitmap owned by the caller.
/// </summary>
public static partial class GarmentImages
{
    private static readonly SKSamplingOptions Smooth = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>
    /// Draws <paramref name="spec"/> as a shop shot: the garment, flat and centred, on a plain
    /// light studio background. Equal specs and sizes give identical pixels.
    /// </summary>
    public static SKBitmap Draw(GarmentSpec spec, int width = 256, int height = 256)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 16);

        var random = new Random(spec.Seed);
        var bitmap = NewBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);

        // Off-white with a faint warm or cool cast, as different studios light differently.
        var tint = random.Next(-4, 5);
        canvas.Clear(new SKColor((byte)(244 + tint), (byte)(244 + random.Next(-2, 3)), (byte)(244 - tint)));

        // The garment lives in a unit square centred in the frame, 90% of its shorter side.
        var side = Math.Min(width, height) * 0.9f;
        var toFrame = SKMatrix.CreateScaleTranslation(side, side, (width - side) / 2, (height - side) / 2);
        using var path = Silhouette(spec.Kind, random);
        path.Transform(toFrame);

        using (var fill = new SKPaint { IsAntialias = true, Color = spec.Colour })
        {
            canvas.DrawPath(path, fill);
        }

        canvas.Save();
        canvas.ClipPath(path, SKClipOperation.Intersect, antialias: true);
        DrawPattern(canvas, spec, random, side, width, height);
        DrawDetails(canvas, spec.Kind, Darker(spec.Colour, 0.7f), toFrame, side);
        DrawShading(canvas, path.Bounds);
        canvas.Restore();

        using (var outline = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1f, side / 160), Color = Darker(spec.Colour, 0.6f) })
        {
            canvas.DrawPath(path, outline);
        }

        return bitmap;
    }

    /// <summary>The garment outline in unit coordinates, symmetric about x = 0.5, proportions varied by <paramref name="random"/>.</summary>
    private static SKPath Silhouette(GarmentKind kind, Random random)
    {
        float Vary(float value, float spread) => value + (((float)random.NextDouble() * 2) - 1) * spread;

        // Right half from the top of the centre line down to the bottom of it; the left half is its mirror.
        var right = new List<SKPoint>();
        switch (kind)
        {
            case GarmentKind.Dress:
            {
                float top = Vary(0.06f, 0.02f), waist = Vary(0.40f, 0.03f), hem = Vary(0.94f, 0.02f);
                float bodice = Vary(0.11f, 0.015f), waistHalf = Vary(0.085f, 0.01f), flare = Vary(0.30f, 0.06f);
                right.Add(new(0.5f, top + 0.09f));
                Quad(right, new(0.5f + bodice - 0.04f, top + 0.08f), new(0.5f + bodice - 0.035f, top));
                right.Add(new(0.5f + bodice, top));
                Quad(right, new(0.5f + bodice + 0.03f, top + 0.16f), new(0.5f + waistHalf, waist));
                Quad(right, new(0.5f + waistHalf + 0.06f, waist + 0.22f), new(0.5f + flare, hem));
                Quad(right, new(0.5f + (flare * 0.5f), hem + 0.03f), new(0.5f, hem + 0.02f));
                break;
            }

            case GarmentKind.Skirt:
            {
                float top = Vary(0.16f, 0.03f), hem = Vary(0.84f, 0.04f);
                float waistHalf = Vary(0.15f, 0.015f), flare = Vary(0.31f, 0.05f);
                right.Add(new(0.5f, top));
                right.Add(new(0.5f + waistHalf, top));
                right.Add(new(0.5f + waistHalf + 0.005f, top + 0.06f));
                Quad(right, new(0.5f + waistHalf + ((flare - waistHalf) * 0.35f), (top + hem) / 2), new(0.5f + flare, hem));
                Quad(right, new(0.5f + (flare * 0.5f), hem + 0.025f), new(0.5f, hem + 0.02f));
                break;
            }

            case GarmentKind.Top:
            {
                float top = Vary(0.14f, 0.02f), hem = Vary(0.84f, 0.04f);
                float neck = Vary(0.07f, 0.01f), shoulder = Vary(0.18f, 0.015f), body = Vary(0.16f, 0.015f);
                float sleeve = Vary(0.13f, 0.04f), drop = Vary(0.12f, 0.03f);
                right.Add(new(0.5f, top + 0.06f));
                Quad(right, new(0.5f + neck, top + 0.06f), new(0.5f + neck, top));
                right.Add(new(0.5f + shoulder, top + 0.03f));
                right.Add(new(0.5f + shoulder + sleeve, top + 0.03f + drop));
                right.Add(new(0.5f + shoulder + sleeve - 0.06f, top + 0.14f + drop));
                right.Add(new(0.5f + body, top + 0.22f));
                right.Add(new(0.5f + body + 0.01f, hem));
                right.Add(new(0.5f, hem));
                break;
            }

            case GarmentKind.Trousers:
            {
                float top = Vary(0.06f, 0.02f), hem = Vary(0.95f, 0.02f), crotch = Vary(0.36f, 0.03f);
                float waistHalf = Vary(0.16f, 0.015f), legOuter = Vary(0.19f, 0.04f), legInner = Vary(0.03f, 0.015f);
                right.Add(new(0.5f, top));
                right.Add(new(0.5f + waistHalf, top));
                Quad(right, new(0.5f + waistHalf + 0.03f, top + 0.2f), new(0.5f + legOuter, hem));
                right.Add(new(0.5f + legInner, hem));
                right.Add(new(0.5f, crotch));
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown garment kind.");
        }

        var points = new List<SKPoint>(right);
        for (var i = right.Count - 1; i >= 0; i--)
        {
            points.Add(new(1 - right[i].X, right[i].Y));
        }

        var path = new SKPath();
        path.AddPoly(points.ToArray(), close: true);
        return path;
    }

    /// <summary>Appends a quadratic curve from the last point, sampled as a polyline.</summary>
    private static void Quad(List<SKPoint> points, SKPoint control, SKPoint end)
    {
        const int Steps = 12;
        var start = points[^1];
        for (var i = 1; i <= Steps; i++)
        {
            var t = (float)i / Steps;
            var u = 1 - t;
            points.Add(new((u * u * start.X) + (2 * u * t * control.X) + (t * t * end.X), (u * u * start.Y) + (2 * u * t * control.Y) + (t * t * end.Y)));
        }
    }

    private static void DrawPattern(SKCanvas canvas, GarmentSpec spec, Random random, float side, int width, int height)
    {
        var spacing = side * (0.05f + ((float)random.NextDouble() * 0.04f));
        var reach = Math.Max(width, height) * 1.5f;
        using var paint = new SKPaint { IsAntialias = true, Color = spec.PatternColour };
        switch (spec.Pattern)
        {
            case GarmentPattern.Plain:
                break;

            case GarmentPattern.Stripes:
            {
                // Half the stripe sets run diagonally, like a rugby or a bias cut.
                canvas.Save();
                canvas.RotateDegrees(random.Next(2) == 0 ? 0 : 45, width / 2f, height / 2f);
                for (var y = -reach; y < reach; y += spacing)
                {
                    canvas.DrawRect(-reach, y, reach * 2, spacing * 0.45f, paint);
                }

                canvas.Restore();
                break;
            }

            case GarmentPattern.Dots:
            {
                var radius = spacing * 0.22f;
                var row = 0;
                for (var y = 0f; y < height + spacing; y += spacing, row++)
                {
                    for (var x = row % 2 == 0 ? 0f : spacing / 2; x < width + spacing; x += spacing)
                    {
                        canvas.DrawCircle(x, y, radius, paint);
                    }
                }

                break;
            }

            case GarmentPattern.Checks:
            {
                paint.Color = spec.PatternColour.WithAlpha(150);
                for (var v = 0f; v < Math.Max(width, height); v += spacing)
                {
                    canvas.DrawRect(v, 0, spacing / 2, height, paint);
                    canvas.DrawRect(0, v, width, spacing / 2, paint);
                }

                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Pattern, "Unknown garment pattern.");
        }
    }

    /// <summary>Seams and edges that make each kind read as clothing rather than a flat shape.</summary>
    private static void DrawDetails(SKCanvas canvas, GarmentKind kind, SKColor colour, SKMatrix toFrame, float side)
    {
        using var seam = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1f, side / 200), Color = colour };
        void Line(float x0, float y0, float x1, float y1) =>
            canvas.DrawLine(toFrame.MapPoint(x0, y0), toFrame.MapPoint(x1, y1), seam);

        switch (kind)
        {
            case GarmentKind.Dress:
                Line(0.3f, 0.40f, 0.7f, 0.40f);
                break;
            case GarmentKind.Skirt:
                Line(0.3f, 0.22f, 0.7f, 0.22f);
                break;
            case GarmentKind.Top:
                Line(0.3f, 0.78f, 0.7f, 0.78f);
                break;
            case GarmentKind.Trousers:
                Line(0.3f, 0.12f, 0.7f, 0.12f);
                Line(0.5f, 0.12f, 0.5f, 0.26f);
                break;
        }
    }

    /// <summary>Soft light from the top left, so the fabric is not a flat fill.</summary>
    private static void DrawShading(SKCanvas canvas, SKRect bounds)
    {
        using var shader = SKShader.CreateLinearGradient(
            new SKPoint(bounds.Left, bounds.Top),
            new SKPoint(bounds.Right, bounds.Bottom),
            [SKColors.White.WithAlpha(40), SKColors.Transparent, SKColors.Black.WithAlpha(50)],
            [0f, 0.45f, 1f],
            SKShaderTileMode.Clamp);
        using var paint = new SKPaint { Shader = shader };
        canvas.DrawRect(bounds, paint);
    }

    private static SKColor Darker(SKColor colour, float factor) =>
        new((byte)(colour.Red * factor), (byte)(colour.Green * factor), (byte)(colour.Blue * factor));

    internal static SKBitmap NewBitmap(int width, int height) =>
        new(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
}
