namespace OutfitFinder.TestSupport;

/// <summary>How far a street photo made by <see cref="GarmentImages.ConsumerView"/> may stray from the shop shot.</summary>
public sealed record ConsumerViewOptions
{
    /// <summary>Output width in pixels; <see langword="null"/> keeps the shop shot's width. Default: null.</summary>
    public int? Width { get; init; }

    /// <summary>Output height in pixels; <see langword="null"/> keeps the shop shot's height. Default: null.</summary>
    public int? Height { get; init; }

    /// <summary>Smallest share of the garment's pixels that stays in frame after the crop. Default: 0.7.</summary>
    public double MinGarmentKept { get; init; } = 0.7;

    /// <summary>Largest tilt either way, in degrees. Default: 15.</summary>
    public float MaxRotationDegrees { get; init; } = 15;

    /// <summary>Largest brightness change either way, as a fraction of full scale. Default: 0.12.</summary>
    public float MaxBrightnessShift { get; init; } = 0.12f;

    /// <summary>Largest saturation change either way, as a factor offset from 1. Default: 0.25.</summary>
    public float MaxSaturationShift { get; init; } = 0.25f;

    /// <summary>Largest white-balance change either way (see <see cref="GarmentImages.ShiftColour"/>). Default: 0.5.</summary>
    public float MaxWarmthShift { get; init; } = 0.5f;

    /// <summary>How many random shapes clutter the background. Default: 14.</summary>
    public int ClutterShapes { get; init; } = 14;

    /// <summary>Chance that the photo is slightly out of focus. Default: 0.5.</summary>
    public double BlurProbability { get; init; } = 0.5;

    /// <summary>Largest blur sigma, in pixels of a 256-pixel-wide image (scaled with the output). Default: 1.5.</summary>
    public float MaxBlurSigma { get; init; } = 1.5f;

    /// <summary>Largest sensor noise, in levels of 255 either way per channel. Default: 6.</summary>
    public int MaxNoise { get; init; } = 6;

    /// <summary>Street photos as the defaults above describe them.</summary>
    public static ConsumerViewOptions Default { get; } = new();
}
