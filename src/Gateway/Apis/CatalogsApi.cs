using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains.Catalog;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>/v1/catalogs/{catalog}</c>: create and describe catalogs.</summary>
public static class CatalogsApi
{
    /// <summary>The model of a catalog created without one: ResNet18 with R-MAC pooling and the built-in street head (docs/evaluation.md).</summary>
    public const string DefaultModel = Core.Extraction.Siamese.StreetHead.ModelName;

    public static IEndpointRouteBuilder MapCatalogsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/catalogs", ListAsync).WithTags("Catalogs").WithName("ListCatalogs")
            .WithSummary("Catalogs in name order, a page at a time (limit 1–100, default 50; pass the answer's next as after).")
            .RequireScope(ApiScope.Search).ListsCatalogsForConfinedKeys();

        var catalogs = app.MapGroup("/v1/catalogs/{catalog}").WithTags("Catalogs");
        catalogs.MapPut("", CreateAsync).WithName("CreateCatalog")
            .WithSummary("Create a catalog (idempotent for the same definition), change an existing catalog's replicas, or add indexed metadata fields to one; model 'none' with a dimension holds vectors made elsewhere.").RequireScope(ApiScope.Admin);
        catalogs.MapGet("", GetAsync).WithName("GetCatalog")
            .WithSummary("A catalog's definition and how many products and images it holds.").RequireScope(ApiScope.Search);
        return app;
    }

    internal static async Task<Results<Created<CatalogResponse>, Ok<CatalogResponse>, ProblemHttpResult>> CreateAsync(
        string catalog, CreateCatalogRequest? request, IGrainFactory grains, CatalogDirectory directory, IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return Problems.BadCatalogName(catalog);
        }

        var shards = request?.Shards ?? 4;
        if (shards < 1 || shards > options.Value.MaxShards)
        {
            return Problems.BadRequest($"shards is {shards}; it must be between 1 and {options.Value.MaxShards}.");
        }

        var metric = (request?.Metric ?? "cosine").ToLowerInvariant();
        if (!Core.Search.DistanceMetrics.TryParse(metric, out _))
        {
            return Problems.BadRequest($"metric '{request?.Metric}' is not one of cosine, dot, l2, l1.");
        }

        if (request?.Replicas is < 1 or > CatalogDefinition.MaxReplicas)
        {
            return Problems.BadRequest($"replicas is {request.Replicas}; it must be between 1 and {CatalogDefinition.MaxReplicas}.");
        }

        if (FieldsError(request?.Fields) is { } fieldsError)
        {
            return Problems.Make(StatusCodes.Status400BadRequest, "Invalid fields", fieldsError);
        }

        // New catalogs get the best space measured on the street set (docs/evaluation.md). An existing catalog keeps its
        // model and localisation when a request leaves them out, so a PUT that only changes replicas or adds fields
        // never conflicts with a catalog made under older defaults.
        var existing = await directory.FindAsync(catalog, cancellationToken);
        var localise = request?.Localise
            ?? (existing is null ? QueryRegions.Name(QueryRegions.NewCatalogDefault) : existing.Localise ?? QueryRegions.Name(LocalisationMode.None));
        if (!QueryRegions.TryParse(localise, out var mode, out var localiseError))
        {
            return Problems.BadRequest(localiseError!);
        }

        var spec = new CatalogSpec(request?.Model ?? existing?.Model ?? DefaultModel, metric, shards, request?.Replicas, request?.Dimension, request?.Fields,
            QueryRegions.Name(mode));
        var result = await grains.GetGrain<ICatalogGrain>(catalog).CreateAsync(spec, cancellationToken);
        if (result.Definition is { } current)
        {
            directory.Remember(current);
        }

        return result.Status switch
        {
            CreateCatalogStatus.Created => TypedResults.Created($"/v1/catalogs/{catalog}", ToResponse(result.Definition!, new CatalogCounts(0, 0))),
            CreateCatalogStatus.AlreadyExists or CreateCatalogStatus.ReplicasChanged or CreateCatalogStatus.FieldsAdded => TypedResults.Ok(ToResponse(result.Definition!,
                await grains.GetGrain<ICatalogGrain>(catalog).GetCountsAsync(cancellationToken))),
            CreateCatalogStatus.Conflict => Problems.Make(StatusCodes.Status409Conflict, "Catalog exists with another definition", result.Detail!),
            _ => Problems.BadRequest(result.Detail!),
        };
    }

    internal static async Task<Results<Ok<CatalogResponse>, ProblemHttpResult>> GetAsync(
        string catalog, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return Problems.BadCatalogName(catalog);
        }

        var definition = await directory.FindAsync(catalog, cancellationToken);
        if (definition is null)
        {
            return Problems.CatalogNotFound(catalog);
        }

        var counts = await grains.GetGrain<ICatalogGrain>(catalog).GetCountsAsync(cancellationToken);
        return TypedResults.Ok(ToResponse(definition, counts));
    }

    internal static async Task<Results<Ok<CatalogListResponse>, ProblemHttpResult>> ListAsync(
        string? after, int? limit, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var wanted = limit ?? 50;
        if (wanted is < 1 or > 100)
        {
            return Problems.BadRequest($"limit is {wanted}; it must be between 1 and 100.");
        }

        var page = await grains.GetGrain<ICatalogIndexGrain>(0).ListAsync(string.IsNullOrEmpty(after) ? null : after, wanted, cancellationToken);
        var counts = await Task.WhenAll(page.Catalogs.Select(definition =>
            grains.GetGrain<ICatalogGrain>(definition.Name).GetCountsAsync(cancellationToken)));
        return TypedResults.Ok(new CatalogListResponse([.. page.Catalogs.Select((definition, i) => ToResponse(definition, counts[i]))], page.Next));
    }

    private static CatalogResponse ToResponse(CatalogDefinition definition, CatalogCounts counts) =>
        new(definition.Name, definition.Model, definition.Metric, definition.Dimension, definition.Shards, counts.Products, counts.Images,
            new SortedDictionary<string, string>(definition.Fields ?? [], StringComparer.Ordinal), definition.Replicas, definition.Localise ?? "none");

    /// <summary>Why the declared fields cannot be indexed, naming the first bad one; null when they can.</summary>
    private static string? FieldsError(Dictionary<string, string>? fields)
    {
        if (fields is null)
        {
            return null;
        }

        if (fields.Count > FieldSchema.MaxFields)
        {
            return $"{fields.Count} fields are declared; a catalog indexes at most {FieldSchema.MaxFields}.";
        }

        foreach (var (name, type) in fields)
        {
            if (FieldSchema.NameError(name) is { } nameError)
            {
                return nameError;
            }

            if (!FieldTypes.TryParse(type, out _))
            {
                return $"Field '{name}' has type '{type}'; use \"string\" or \"number\".";
            }
        }

        return null;
    }
}
