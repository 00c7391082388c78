using System.Globalization;
using OutfitFinder.Core.Images;

namespace OutfitFinder.Core.Localisation;

/// <summary>One level of a crop plan: a <see cref="Grid"/> × <see cref="Grid"/> grid of crops whose sides are <see cref="Side"/> of the region's.</summary>
/// <param name="Side">Share of the region's width and height each crop keeps (0–1].</param>
/// <param name="Grid">Crops along each axis, evenly spaced so the first and last touch the region's edges.</param>
public readonly record struct CropLevel(double Side, int Grid);

/// <summary>
/// The regions of a query photo that are embedded, in one model call, for a <see cref="LocalisationMode"/>.
/// The first region is always the whole search region (the photo, or the crop box when one is
/// given), so <see cref="LocalisationMode.None"/> is the plain search and every plan contains it.
/// </summary>
public static class QueryRegions
{
    /// <summary>Crops no side of which is shorter than this many pixels are left out: the model would see mostly resampling.</summary>
    public const int MinCropSide = 16;

    /// <summary>The whole region and a 2×2 grid of crops keeping 65 % of each side: 5 regions.</summary>
    public static readonly IReadOnlyList<CropLevel> FastPlan = [new(1, 1), new(0.65, 2)];

    /// <summary>The fast plan and a 3×3 grid keeping 45 % of each side: 14 regions, the fast ones first.</summary>
    public static readonly IReadOnlyList<CropLevel> ThoroughPlan = [new(1, 1), new(0.65, 2), new(0.45, 3)];

    /// <summary>
    /// What a catalog created without <c>localise</c> uses: the best measured on the street set for
    /// its latency (docs/evaluation.md). Catalogs created before the setting existed keep none.
    /// </summary>
    public const LocalisationMode NewCatalogDefault = LocalisationMode.Thorough;

    /// <summary>Names accepted by <see cref="TryParse"/>, for messages and documentation.</summary>
    public const string Names = "none, fast, thorough";

    /// <summary>Parses <c>none</c>, <c>fast</c> or <c>thorough</c> (any case); on failure <paramref name="error"/> says what is accepted.</summary>
    public static bool TryParse(string? text, out LocalisationMode localisation, out string? error)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "none":
                (localisation, error) = (LocalisationMode.None, null);
                return true;
            case "fast":
                (localisation, error) = (LocalisationMode.Fast, null);
                return true;
            case "thorough":
                (localisation, error) = (LocalisationMode.Thorough, null);
                return true;
            default:
                localisation = LocalisationMode.None;
                error = string.Create(CultureInfo.InvariantCulture, $"localise '{text}' is not one of {Names}.");
                return false;
        }
    }

    /// <summary>The name <see cref="TryParse"/> reads back.</summary>
    public static string Name(LocalisationMode localisation) => localisation.ToString().ToLowerInvariant();

    /// <summary>The crop plan of a localisation.</summary>
    public static IReadOnlyList<CropLevel> PlanOf(LocalisationMode localisation) => localisation switch
    {
        LocalisationMode.None => [new CropLevel(1, 1)],
        LocalisationMode.Fast => FastPlan,
        LocalisationMode.Thorough => ThoroughPlan,
        _ => throw new ArgumentOutOfRangeException(nameof(localisation), localisation, "Unknown localisation."),
    };

    /// <summary>
    /// The regions to embed for a <paramref name="width"/> × <paramref name="height"/> upright photo:
    /// the plan applied inside <paramref name="box"/> when given (the caller checks that it fits),
    /// else inside the whole photo. The first region is the whole search region.
    /// </summary>
    public static IReadOnlyList<ImageBox> Plan(int width, int height, LocalisationMode localisation, ImageBox? box = null) =>
        Plan(width, height, PlanOf(localisation), box);

    /// <summary>As above, for any plan (the evaluation tries others).</summary>
    public static IReadOnlyList<ImageBox> Plan(int width, int height, IReadOnlyList<CropLevel> plan, ImageBox? box = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var region = box ?? new ImageBox(0, 0, width, height);
        var regions = new List<ImageBox>();
        foreach (var level in plan)
        {
            if (level.Side >= 1)
            {
                regions.Add(region);
                continue;
            }

            var w = (int)Math.Round(region.Width * level.Side);
            var h = (int)Math.Round(region.Height * level.Side);
            if (w < MinCropSide || h < MinCropSide)
            {
                continue;
            }

            for (var row = 0; row < level.Grid; row++)
            {
                for (var column = 0; column < level.Grid; column++)
                {
                    var x = level.Grid == 1 ? (region.Width - w) / 2 : (int)Math.Round(column * (region.Width - w) / (double)(level.Grid - 1));
                    var y = level.Grid == 1 ? (region.Height - h) / 2 : (int)Math.Round(row * (region.Height - h) / (double)(level.Grid - 1));
                    regions.Add(new ImageBox(region.X + x, region.Y + y, w, h));
                }
            }
        }

        return regions;
    }
}
