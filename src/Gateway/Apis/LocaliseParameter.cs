using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Apis;

/// <summary>The <c>localise</c> of a photo search: the request's value (query string, form field or JSON), else the catalog's.</summary>
internal static class LocaliseParameter
{
    /// <summary>The localisation to search with, or a 400 naming the accepted values.</summary>
    public static (LocalisationMode Mode, ProblemHttpResult? Problem) Resolve(string? requested, CatalogDefinition catalog)
    {
        if (string.IsNullOrEmpty(requested))
        {
            // Catalogs created before the setting existed have none, and keep searching as they did.
            return (QueryRegions.TryParse(catalog.Localise, out var stored, out _) ? stored : LocalisationMode.None, null);
        }

        return QueryRegions.TryParse(requested, out var mode, out var error)
            ? (mode, null)
            : (LocalisationMode.None, Problems.Make(StatusCodes.Status400BadRequest, "Invalid localise", error!));
    }
}
