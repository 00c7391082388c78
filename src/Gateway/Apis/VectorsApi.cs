using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Apis;

/// <summary>
/// <c>GET /v1/catalogs/{catalog}/vectors?max=N</c>: a bounded, evenly spread sample of the
/// catalog's products with one vector each (their first image's), for embedding maps such as
/// <c>outfit tsne</c>. Read-only; a large catalog is sampled, never sent whole.
/// </summary>
public static class VectorsApi
{
    /// <summary>Products returned when <c>max</c> is not given.</summary>
    public const int DefaultMax = 1000;

    /// <summary>The most products one request may ask for.</summary>
    public const int LargestMax = 10_000;

    public static IEndpointRouteBuilder MapVectorsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/catalogs/{catalog}").WithTags("Catalogs")
            .MapGet("/vectors", GetAsync).WithName("SampleVectors")
            .WithSummary("Up to max products (default 1000, at most 10000) with their category and first image's vector, spread evenly over the catalog.")
            .RequireScope(ApiScope.Search);
        return app;
    }

    internal static async Task<Results<Ok<VectorSampleResponse>, ProblemHttpResult>> GetAsync(
        string catalog, string? max, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return Problems.BadCatalogName(catalog);
        }

        // Read as text so that "max=abc" gets a reason rather than the framework's bare 400.
        var limit = DefaultMax;
        if (max is not null && (!int.TryParse(max, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit)
            || limit is < 1 or > LargestMax))
        {
            return Problems.BadRequest($"max is '{max}'; it must be a whole number between 1 and {LargestMax}.");
        }

        var definition = await directory.FindAsync(catalog, cancellationToken);
        if (definition is null)
        {
            return Problems.CatalogNotFound(catalog);
        }

        var perShard = await Task.WhenAll(Enumerable.Range(0, definition.Shards).Select(shard =>
            grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, shard)).SampleVectorsAsync(limit, cancellationToken)));

        // Each shard sent up to max of its own; thin the union evenly in id order to max overall.
        var all = perShard.SelectMany(samples => samples).OrderBy(sample => sample.ProductId, StringComparer.Ordinal).ToArray();
        var take = Math.Min(limit, all.Length);
        var products = new List<ProductVector>(take);
        for (var i = 0; i < take; i++)
        {
            var sample = all[(int)((long)i * all.Length / take)];
            products.Add(new ProductVector(sample.ProductId, sample.Category, PackedVectors.Unpack(sample.Vector)));
        }

        return TypedResults.Ok(new VectorSampleResponse(definition.Name, definition.Model, definition.Metric, definition.Dimension, products));
    }
}

/// <summary>Body of <c>GET /v1/catalogs/{catalog}/vectors</c>.</summary>
public sealed record VectorSampleResponse(string Catalog, string Model, string Metric, int Dimension, IReadOnlyList<ProductVector> Products);

/// <summary>One product of a vector sample: its first image's vector.</summary>
public sealed record ProductVector(string ProductId, string? Category, float[] Vector);
