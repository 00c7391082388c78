using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>The garment shapes the generator can draw, each with its own silhouette.</summary>
public enum GarmentKind
{
    /// <summary>Fitted bodice with straps over a flared skirt.</summary>
    Dress,
    /// <summary>A trapezoid from a narrow waistband to a wide hem.</summary>
    Skirt,
    /// <summary>A T-shirt: body, neckline and two short sleeves.</summary>
    Top,
    /// <summary>A waistband over two separate legs.</summary>
    Trousers,
}

/// <summary>What is printed on the fabric, in <see cref="GarmentSpec.PatternColour"/>.</summary>
public enum GarmentPattern
{
    /// <summary>One colour, no print.</summary>
    Plain,
    /// <summary>Parallel bands, horizontal or diagonal.</summary>
    Stripes,
    /// <summary>A grid of polka dots.</summary>
    Dots,
    /// <summary>Crossing translucent bands (gingham).</summary>
    Checks,
}

/// <summary>Everything that decides how a generated garment looks; equal specs draw equal images.</summary>
/// <param name="Kind">Silhouette.</param>
/// <param name="Colour">Fabric colour.</param>
/// <param name="Pattern">Print on the fabric.</param>
/// <param name="PatternColour">Colour of the print; unused when <paramref name="Pattern"/> is <see cref="GarmentPattern.Plain"/>.</param>
/// <param name="Seed">Varies proportions and pattern spacing, so two garments of one kind and colour still differ.</param>
public sealed record GarmentSpec(GarmentKind Kind, SKColor Colour, GarmentPattern Pattern, SKColor PatternColour, int Seed)
{
    /// <summary>The catalog category of this garment, the kind's name: <c>Dress</c>, <c>Skirt</c>, <c>Top</c> or <c>Trousers</c>.</summary>
    public string Category => Kind.ToString();
}
