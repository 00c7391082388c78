using Microsoft.Extensions.Options;
using OutfitFinder.Core.Search;
using OutfitFinder.Gateway.Apis;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// Refuses, with 409 and the quota, a product write that would add a product to a catalog already
/// at its quota (<c>Limits:MaxProductsPerCatalog</c> or the key's own, whichever is lower), and an
/// ingestion started into one. Replacing an existing product is always allowed.
/// </summary>
/// <remarks>
/// The check reads the catalog's count before the write, so concurrent writers can pass it
/// together and overshoot by at most their number: a quota bounds a retailer's share, it is not a
/// transaction. An ingestion already running is not stopped at the quota.
/// </remarks>
internal sealed class ProductQuotaFilter(IOptions<LimitsOptions> limits, CatalogDirectory directory, IGrainFactory grains) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var keyQuota = http.Features.Get<ApiKeyFeature>()?.Key.MaxProductsPerCatalog;
        var settingQuota = limits.Value.MaxProductsPerCatalog;
        var quota = (keyQuota, settingQuota) switch
        {
            (null, null) => (long?)null,
            ({ } k, null) => k,
            (null, { } s) => s,
            ({ } k, { } s) => Math.Min(k, s),
        };
        if (quota is not { } most || http.GetRouteValue("catalog") is not string catalog || !CatalogDirectory.IsValidName(catalog))
        {
            return await next(context);
        }

        var cancellationToken = http.RequestAborted;
        if (await directory.FindAsync(catalog, cancellationToken) is not { } definition)
        {
            return await next(context);
        }

        var counts = await grains.GetGrain<ICatalogGrain>(catalog).GetCountsAsync(cancellationToken);
        if (counts.Products < most)
        {
            return await next(context);
        }

        if (http.GetRouteValue("productId") is string routeId)
        {
            var productId = RawSegment.After(http, "products", routeId);
            var shard = grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, ShardRouter.ShardOf(productId, definition.Shards)));
            if (await shard.GetAsync(productId, cancellationToken) is not null)
            {
                return await next(context);
            }
        }

        var source = keyQuota == most ? "this API key's quota" : "Limits:MaxProductsPerCatalog";
        return Problems.Make(StatusCodes.Status409Conflict, "Catalog quota reached",
            $"Catalog '{catalog}' holds {counts.Products:N0} products and its quota is {most:N0} ({source}); delete products or raise the quota before adding more.");
    }
}
