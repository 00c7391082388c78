namespace OutfitFinder.Core.Localisation;

/// <summary>
/// How hard a photo search looks for the garment inside the photo before comparing it with the
/// catalog. A street photo shows the garment small, among other garments and people; searching
/// with several overlapping crops and keeping each product's best score finds it where one
/// vector of the whole photo mostly describes the rest of the scene.
/// </summary>
public enum LocalisationMode
{
    /// <summary>One vector of the whole photo (or of the crop box): one model run per search.</summary>
    None,

    /// <summary>The photo and its four overlapping corner crops (<see cref="QueryRegions.FastPlan"/>): five crops in one model call.</summary>
    Fast,

    /// <summary>The fast crops and nine smaller ones (<see cref="QueryRegions.ThoroughPlan"/>): fourteen crops in one model call.</summary>
    Thorough,
}
