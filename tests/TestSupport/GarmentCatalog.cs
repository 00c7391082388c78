using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>Makes catalogs of distinct garments for tests and benchmarks.</summary>
public static class GarmentCatalog
{
    /// <summary>Fabric colours a shop would stock, far enough apart to tell by eye.</summary>
    private static readonly SKColor[] Fabrics =
    [
        new(20, 20, 24), // black
        new(236, 236, 230), // white
        new(28, 40, 82), // navy
        new(196, 30, 45), // red
        new(110, 20, 40), // burgundy
        new(34, 90, 50), // forest green
        new(110, 115, 50), // olive
        new(214, 168, 40), // mustard
        new(190, 150, 105), // camel
        new(225, 205, 170), // beige
        new(140, 140, 145), // grey
        new(60, 62, 68), // charcoal
        new(40, 80, 200), // royal blue
        new(135, 190, 230), // sky blue
        new(236, 120, 170), // pink
        new(240, 195, 190), // blush
        new(180, 160, 220), // lavender
        new(100, 45, 130), // purple
        new(235, 120, 35), // orange
        new(20, 130, 130), // teal
        new(100, 65, 40), // brown
        new(160, 200, 120), // sage
    ];

    /// <summary>
    /// <paramref name="count"/> distinct garments, kinds taken in turn (Dress, Skirt, Top,
    /// Trousers, Dress, …) so every kind is equally common, with random fabric colour (jittered
    /// from a shop palette), pattern and contrasting pattern colour. Ids are <c>p0001</c>,
    /// <c>p0002</c>, …; the same arguments give the same catalog.
    /// </summary>
    /// <remarks>
    /// No two garments share kind, fabric, pattern and print colour while such combinations
    /// remain (over 7,000 of them); beyond that they still differ by jitter and seed.
    /// </remarks>
    public static IReadOnlyList<(string ProductId, GarmentSpec Spec)> Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var kinds = Enum.GetValues<GarmentKind>();
        var patterns = Enum.GetValues<GarmentPattern>();
        var used = new HashSet<(GarmentKind, int, GarmentPattern, int)>();
        var catalog = new List<(string, GarmentSpec)>(count);

        for (var i = 0; i < count; i++)
        {
            var kind = kinds[i % kinds.Length];
            int fabric, print;
            GarmentPattern pattern;
            var attempts = 0;
            do
            {
                fabric = random.Next(Fabrics.Length);
                pattern = patterns[random.Next(patterns.Length)];
                print = Contrasting(random, fabric);
                if (pattern == GarmentPattern.Plain)
                {
                    print = fabric;
                }
            }
            while (!used.Add((kind, fabric, pattern, print)) && ++attempts < 50);

            var spec = new GarmentSpec(kind, Jitter(random, Fabrics[fabric]), pattern, Jitter(random, Fabrics[print]), random.Next());
            catalog.Add(($"p{i + 1:D4}", spec));
        }

        return catalog;
    }

    /// <summary>A palette index whose colour differs clearly in lightness from <paramref name="fabric"/>'s.</summary>
    private static int Contrasting(Random random, int fabric)
    {
        static float Lightness(SKColor c) => (0.299f * c.Red) + (0.587f * c.Green) + (0.114f * c.Blue);
        while (true)
        {
            var print = random.Next(Fabrics.Length);
            if (Math.Abs(Lightness(Fabrics[print]) - Lightness(Fabrics[fabric])) >= 60)
            {
                return print;
            }
        }
    }

    private static SKColor Jitter(Random random, SKColor colour)
    {
        byte Shift(byte channel) => (byte)Math.Clamp(channel + random.Next(-12, 13), 0, 255);
        return new SKColor(Shift(colour.Red), Shift(colour.Green), Shift(colour.Blue));
    }
}
