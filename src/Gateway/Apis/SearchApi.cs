using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Images;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Gateway.Uploads;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>POST /v1/catalogs/{catalog}/search</c>: by photo (multipart) or by vector (JSON).</summary>
public static class SearchApi
{
    private const int DefaultK = 20;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/catalogs/{catalog}").WithTags("Search")
            .MapPost("/search", SearchAsync).WithName("Search")
            .WithSummary("The k products that look most like a photo (multipart 'image' part, or JSON {image: base64}) or a vector (JSON {vector}); "
                + "box=x,y,w,h (query, form field or JSON) searches only that region of the photo; "
                + "filter (JSON object in the body, or its JSON text as a query or form field) keeps only products whose declared metadata fields pass, "
                + "e.g. {\"and\":[{\"price\":{\"lt\":50}},{\"brand\":{\"in\":[\"acme\",\"zen\"]}}]}. "
                + "localise=none|fast|thorough (query, form field or JSON; default: the catalog's) searches with overlapping crops of the photo too.")
            // One Accepts with both types: each Accepts call replaces the route's accepted types.
            .Accepts<SearchByVectorRequest>("application/json", "multipart/form-data")
            .AddEndpointFilter<SearchMetricsFilter>()
            .DisableAntiforgery()
            .RequireScope(ApiScope.Search);
        return app;
    }

    internal static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> SearchAsync(
        string catalog, int? k, string? category, int? ef, string? box, string? filter, string? localise, HttpRequest request, CatalogDirectory directory,
        UploadReader uploads, Embedding embedding, LocalisedSearch fanOut, PhotoSearchLimiter photoSearches, IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return Problems.BadCatalogName(catalog);
        }

        var definition = await directory.FindAsync(catalog, cancellationToken);
        if (definition is null)
        {
            return Problems.CatalogNotFound(catalog);
        }

        IReadOnlyList<float[]> vectors;
        string? filterText = filter;
        JsonElement? filterElement = null;
        if (request.HasFormContentType)
        {
            if (definition.IsVectorsOnly)
            {
                return VectorsOnly(definition);
            }

            var (upload, problem) = await uploads.ReadAsync(request, maxImages: 1, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            filterText = upload!.Form["filter"].FirstOrDefault() ?? filterText;
            var (crop, boxProblem) = ParseBox(upload.Form["box"].FirstOrDefault() ?? box);
            if (boxProblem is not null)
            {
                return boxProblem;
            }

            var (mode, localiseProblem) = LocaliseParameter.Resolve(upload.Form["localise"].FirstOrDefault() ?? localise, definition);
            if (localiseProblem is not null)
            {
                return localiseProblem;
            }

            var (rows, embedProblem) = await embedding.EmbedRegionsAsync(definition.Model, upload.Images[0], crop, mode, cancellationToken);
            if (embedProblem is not null)
            {
                return embedProblem;
            }

            vectors = rows!;
        }
        else if (request.HasJsonContentType())
        {
            SearchByVectorRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<SearchByVectorRequest>(cancellationToken);
            }
            catch (JsonException exception)
            {
                return Problems.BadRequest($"The JSON body is invalid: {exception.Message}");
            }
            catch (InvalidOperationException exception) when (exception.InnerException is ArgumentException)
            {
                // The framework's answer to a charset .NET does not know ("charset=x-foo"); found by FuzzTests.
                return Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported charset", exception.Message);
            }

            if (body?.Image is { } base64)
            {
                if (body.Vector is not null)
                {
                    return Problems.BadRequest("The JSON body has both 'image' and 'vector'; send one.");
                }

                if (definition.IsVectorsOnly)
                {
                    return VectorsOnly(definition);
                }

                // A photo in JSON is known only now, after the rate limiter ran: hold a photo-search lease here.
                var (lease, limited) = photoSearches.Acquire(request.HttpContext);
                if (limited is not null)
                {
                    return limited;
                }

                float[][]? photoVectors;
                ProblemHttpResult? photoProblem;
                using (lease)
                {
                    (photoVectors, photoProblem) = await EmbedBase64Async(base64, body.Box ?? box, body.Localise ?? localise, definition, uploads, embedding, cancellationToken);
                }

                if (photoProblem is not null)
                {
                    return photoProblem;
                }

                vectors = photoVectors!;
            }
            else if (body?.Vector is not { } given)
            {
                return Problems.BadRequest("The JSON body needs a 'vector' array or an 'image' (base64).");
            }
            else if (VectorError(given, definition) is { } vectorError)
            {
                return Problems.BadRequest(vectorError);
            }
            else if (body.Box is not null || box is not null)
            {
                return Problems.BadRequest("box crops a photo; a search by vector has no photo to crop.");
            }
            else if (body.Localise is not null || localise is not null)
            {
                return Problems.BadRequest("localise crops a photo; a search by vector has no photo to crop.");
            }
            else
            {
                vectors = [given];
            }

            k = body.K ?? k;
            category = body.Category ?? category;
            ef = body.Ef ?? ef;
            filterElement = body.Filter is { ValueKind: not JsonValueKind.Null } filterBody ? filterBody : null;
        }
        else
        {
            return Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Send multipart/form-data with an 'image' part, or application/json with a 'vector'; got '{request.ContentType ?? "nothing"}'.");
        }

        var wanted = k ?? DefaultK;
        if (wanted < 1 || wanted > options.Value.MaxK)
        {
            return Problems.BadRequest($"k is {wanted}; it must be between 1 and {options.Value.MaxK}.");
        }

        if (ef is < 1 or > ShardQuery.MaxEf)
        {
            return Problems.BadRequest($"ef is {ef}; it must be between 1 and {ShardQuery.MaxEf}.");
        }

        var (filterJson, filterProblem) = ParseFilter(filterElement, filterText, definition);
        if (filterProblem is not null)
        {
            return filterProblem;
        }

        FanOutResult result;
        try
        {
            result = await fanOut.SearchAsync(definition, vectors, wanted, string.IsNullOrEmpty(category) ? null : category, ef, filterJson, cancellationToken);
        }
        catch (ShardsUnavailableException exception)
        {
            return Problems.Make(StatusCodes.Status503ServiceUnavailable, "Catalog unavailable", exception.Message);
        }

        var results = result.Hits.Select(hit => new SearchResult(hit.ProductId, hit.Score, hit.Category, hit.ImageIndex, Json.Parse(hit.MetadataJson))).ToList();
        return TypedResults.Ok(new SearchResponse(results, result.Partial, Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.Stale,
            Math.Round(result.LagMs, 1)));
    }

    /// <summary>
    /// The filter (a JSON body's object, else the query or form field's JSON text) checked against the catalog's
    /// declared fields, as the canonical JSON the shards receive; a problem naming the field or operator when it is bad.
    /// </summary>
    private static (string? Json, ProblemHttpResult? Problem) ParseFilter(JsonElement? element, string? text, CatalogDefinition definition)
    {
        if (element is null && string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        var schema = new FieldSchema(definition.Fields?.ToDictionary(pair => pair.Key,
            pair => FieldTypes.TryParse(pair.Value, out var type) ? type : FieldType.String, StringComparer.Ordinal));
        MetadataFilter? parsed;
        string? error;
        var ok = element is { } given
            ? MetadataFilterParser.TryParse(given, schema, out parsed, out error)
            : MetadataFilterParser.TryParse(text!, schema, out parsed, out error);
        return ok ? (parsed!.ToJson(), null) : (null, Problems.Make(StatusCodes.Status400BadRequest, "Invalid filter", error!));
    }

    private static ProblemHttpResult VectorsOnly(CatalogDefinition definition) =>
        Problems.BadRequest($"Catalog '{definition.Name}' holds vectors only (model '{CatalogDefinition.VectorsOnlyModel}'): it has no model to embed a photo with; search it with a JSON {{\"vector\": […]}} of {definition.Dimension} values.");

    private static (ImageBox? Box, ProblemHttpResult? Problem) ParseBox(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (null, null);
        }

        return ImageBox.TryParse(text, out var parsed, out var error)
            ? (parsed, null)
            : (null, Problems.Make(StatusCodes.Status400BadRequest, "Invalid box", error!));
    }

    private static async Task<(float[][]? Vectors, ProblemHttpResult? Problem)> EmbedBase64Async(string base64, string? box, string? localise,
        CatalogDefinition definition, UploadReader uploads, Embedding embedding, CancellationToken cancellationToken)
    {
        var (crop, boxProblem) = ParseBox(box);
        if (boxProblem is not null)
        {
            return (null, boxProblem);
        }

        var (mode, localiseProblem) = LocaliseParameter.Resolve(localise, definition);
        if (localiseProblem is not null)
        {
            return (null, localiseProblem);
        }

        var (image, imageProblem) = uploads.ReadBase64(base64);
        if (imageProblem is not null)
        {
            return (null, imageProblem);
        }

        return await embedding.EmbedRegionsAsync(definition.Model, image!, crop, mode, cancellationToken);
    }

    private static string? VectorError(float[] vector, CatalogDefinition catalog)
    {
        if (vector.Length != catalog.Dimension)
        {
            return $"The vector has {vector.Length} values; catalog '{catalog.Name}' ({catalog.Model}) uses {catalog.Dimension}.";
        }

        return vector.Any(value => !float.IsFinite(value)) ? "The vector contains NaN or infinite values." : null;
    }
}
