using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Gateway.Apis;

namespace OutfitFinder.Gateway.Access;

/// <summary>Endpoint metadata: a confined key may call this route, and sees only its own catalogs in the answer.</summary>
public sealed record ListsCatalogsForConfinedKeys;

/// <summary>
/// Trims a catalog listing to the catalogs the caller's key may use, so one retailer's page never
/// learns another's catalog names. A page may then hold fewer than <c>limit</c> entries; its
/// <c>next</c> still continues the listing.
/// </summary>
internal sealed class CatalogListFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(context);
        if (context.HttpContext.Features.Get<ApiKeyFeature>()?.Key is not { IsConfined: true } key)
        {
            return result;
        }

        var list = result switch
        {
            Ok<CatalogListResponse> ok => ok.Value,
            INestedHttpResult { Result: Ok<CatalogListResponse> nested } => nested.Value,
            _ => null,
        };
        return list is null ? result : TypedResults.Ok(list with { Catalogs = [.. list.Catalogs.Where(catalog => key.AllowsCatalog(catalog.Name))] });
    }
}

/// <summary>How a listing route opts in to <see cref="CatalogListFilter"/>.</summary>
public static class CatalogListEndpointExtensions
{
    /// <summary>Lets confined keys call this listing, answering them with their own catalogs only.</summary>
    public static RouteHandlerBuilder ListsCatalogsForConfinedKeys(this RouteHandlerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new ListsCatalogsForConfinedKeys());
        builder.AddEndpointFilter<RouteHandlerBuilder, CatalogListFilter>();
        return builder;
    }
}
