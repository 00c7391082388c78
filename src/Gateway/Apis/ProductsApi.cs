using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Gateway.Uploads;
using OutfitFinder.Grains;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>/v1/catalogs/{catalog}/products/{productId}</c>: put, read and delete products and their images.</summary>
public static class ProductsApi
{
    private const int MaxCategoryLength = 128;

    public static IEndpointRouteBuilder MapProductsApi(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/v1/catalogs/{catalog}/products/{productId}").WithTags("Products");
        products.MapPut("", PutAsync).WithName("PutProduct")
            .WithSummary("Add or replace a product: multipart with one or more 'image' parts, optional 'category' and 'metadata' (JSON object); "
                + "or JSON {vectors: [[…], …], category, metadata} with one vector per image, made elsewhere (the only way into a 'none' catalog).")
            // One Accepts with both types: each Accepts call replaces the route's accepted types.
            .Accepts<PutProductVectorsRequest>("application/json", "multipart/form-data").DisableAntiforgery()
            .RequireScope(ApiScope.Write).AddEndpointFilter<RouteHandlerBuilder, ProductQuotaFilter>();
        products.MapGet("", GetAsync).WithName("GetProduct").WithSummary("A product's category, metadata and image count.")
            .RequireScope(ApiScope.Search);
        products.MapDelete("", DeleteAsync).WithName("DeleteProduct").WithSummary("Delete a product and its images.")
            .RequireScope(ApiScope.Write);
        products.MapGet("/images/{n:int}", GetImageAsync).WithName("GetProductImage").WithSummary("The stored bytes of the product's image n (0-based).")
            .RequireScope(ApiScope.Search);
        return app;
    }

    internal static async Task<Results<Created<ProductResponse>, Ok<ProductResponse>, ProblemHttpResult>> PutAsync(
        string catalog, string productId, HttpRequest request, CatalogDirectory directory, UploadReader uploads, Embedding embedding,
        ProductImageStore images, IGrainFactory grains, IOptions<GatewayOptions> options, CancellationToken cancellationToken)
    {
        productId = RawSegment.After(request.HttpContext, "products", productId);
        var (definition, problem) = await FindCatalogAsync(catalog, directory, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ValidateText("product id", productId, ProductIdPathSegment.MaxProductIdUtf8Bytes) is { } badId)
        {
            return Problems.BadRequest(badId);
        }

        if (System.Text.Encoding.UTF8.GetByteCount(productId) > ProductIdPathSegment.MaxProductIdUtf8Bytes)
        {
            return Problems.BadRequest($"The product id is {System.Text.Encoding.UTF8.GetByteCount(productId)} bytes in UTF-8; the limit is {ProductIdPathSegment.MaxProductIdUtf8Bytes}.");
        }

        if (request.HasJsonContentType())
        {
            return await PutVectorsAsync(catalog, productId, request, definition!, images, grains, options.Value, cancellationToken);
        }

        if (definition!.IsVectorsOnly)
        {
            return Problems.BadRequest(
                $"Catalog '{catalog}' holds vectors only (model '{CatalogDefinition.VectorsOnlyModel}'): send JSON {{\"vectors\": [[…]]}} with {definition.Dimension} values per image, not photos.");
        }

        var (upload, uploadProblem) = await uploads.ReadAsync(request, options.Value.MaxImagesPerProduct, cancellationToken);
        if (uploadProblem is not null)
        {
            return uploadProblem;
        }

        string? category = upload!.Form["category"];
        category = string.IsNullOrEmpty(category) ? null : category;
        if (category is not null && ValidateText("category", category, MaxCategoryLength) is { } badCategory)
        {
            return Problems.BadRequest(badCategory);
        }

        var (metadata, metadataError) = UploadReader.ValidateMetadata(upload.Form["metadata"]);
        if (metadataError is not null)
        {
            return Problems.BadRequest(metadataError);
        }

        var (vectors, embedProblem) = await embedding.EmbedAsync(definition.Model, upload.Images, cancellationToken);
        if (embedProblem is not null)
        {
            return embedProblem;
        }

        // Images first, then the shard: once the shard acknowledges, every image it counts is readable.
        await images.SaveAsync(catalog, productId, upload.Images, cancellationToken);
        var shard = grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog, ShardRouter.ShardOf(productId, definition.Shards)));
        var status = await shard.UpsertAsync(
            new ProductUpsert(productId, category, metadata, upload.Images.Count, PackedVectors.Pack(vectors)), cancellationToken);

        var response = new ProductResponse(productId, category, Json.Parse(metadata), upload.Images.Count);
        return status == UpsertStatus.Created
            ? TypedResults.Created($"/v1/catalogs/{catalog}/products/{Uri.EscapeDataString(productId)}", response)
            : TypedResults.Ok(response);
    }

    /// <summary>
    /// A product given as vectors (JSON): one per image, each of the catalog's dimension and finite. Images stored for
    /// an earlier version of the product are deleted first, so no image index points at a photo the vectors do not
    /// come from.
    /// </summary>
    private static async Task<Results<Created<ProductResponse>, Ok<ProductResponse>, ProblemHttpResult>> PutVectorsAsync(
        string catalog, string productId, HttpRequest request, CatalogDefinition definition, ProductImageStore images, IGrainFactory grains,
        GatewayOptions options, CancellationToken cancellationToken)
    {
        PutProductVectorsRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<PutProductVectorsRequest>(cancellationToken);
        }
        catch (System.Text.Json.JsonException exception)
        {
            return Problems.BadRequest($"The JSON body is invalid: {exception.Message}");
        }
        catch (InvalidOperationException exception) when (exception.InnerException is ArgumentException)
        {
            return Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported charset", exception.Message);
        }

        if (body?.Vectors is not { Length: > 0 } vectors)
        {
            return Problems.BadRequest("The JSON body needs 'vectors': an array with one vector (array of numbers) per image.");
        }

        if (vectors.Length > options.MaxImagesPerProduct)
        {
            return Problems.BadRequest($"The product has {vectors.Length} vectors; the limit is {options.MaxImagesPerProduct} images per product.");
        }

        var packed = new float[vectors.Length * definition.Dimension];
        for (var i = 0; i < vectors.Length; i++)
        {
            if (vectors[i] is not { } vector || vector.Length != definition.Dimension)
            {
                return Problems.BadRequest(
                    $"Vector {i} has {vectors[i]?.Length ?? 0} values; catalog '{catalog}' ({definition.Model}) uses dimension {definition.Dimension}.");
            }

            if (vector.Any(value => !float.IsFinite(value)))
            {
                return Problems.BadRequest($"Vector {i} contains NaN or infinite values.");
            }

            vector.CopyTo(packed, i * definition.Dimension);
        }

        var category = string.IsNullOrEmpty(body.Category) ? null : body.Category;
        if (category is not null && ValidateText("category", category, MaxCategoryLength) is { } badCategory)
        {
            return Problems.BadRequest(badCategory);
        }

        var (metadata, metadataError) = body.Metadata is { ValueKind: not System.Text.Json.JsonValueKind.Null } given
            ? UploadReader.ValidateMetadata(given.GetRawText())
            : (null, null);
        if (metadataError is not null)
        {
            return Problems.BadRequest(metadataError);
        }

        await images.DeleteAsync(catalog, productId, cancellationToken);
        var status = await ShardOf(grains, definition, productId).UpsertAsync(
            new ProductUpsert(productId, category, metadata, vectors.Length, PackedVectors.Pack(packed)), cancellationToken);
        var response = new ProductResponse(productId, category, Json.Parse(metadata), vectors.Length);
        return status == UpsertStatus.Created
            ? TypedResults.Created($"/v1/catalogs/{catalog}/products/{Uri.EscapeDataString(productId)}", response)
            : TypedResults.Ok(response);
    }

    internal static async Task<Results<Ok<ProductResponse>, ProblemHttpResult>> GetAsync(
        string catalog, string productId, HttpContext context, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        productId = RawSegment.After(context, "products", productId);
        var (definition, problem) = await FindCatalogAsync(catalog, directory, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var product = await ShardOf(grains, definition!, productId).GetAsync(productId, cancellationToken);
        return product is null
            ? ProductNotFound(catalog, productId)
            : TypedResults.Ok(new ProductResponse(product.ProductId, product.Category, Json.Parse(product.MetadataJson), product.ImageCount));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string catalog, string productId, HttpContext context, CatalogDirectory directory, ProductImageStore images, IGrainFactory grains,
        CancellationToken cancellationToken)
    {
        productId = RawSegment.After(context, "products", productId);
        var (definition, problem) = await FindCatalogAsync(catalog, directory, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // The shard forgets the product first, so no search can return it once images are gone.
        if (!await ShardOf(grains, definition!, productId).DeleteAsync(productId, cancellationToken))
        {
            return ProductNotFound(catalog, productId);
        }

        await images.DeleteAsync(catalog, productId, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetImageAsync(
        string catalog, string productId, int n, HttpContext context, CatalogDirectory directory, ProductImageStore images,
        IGrainFactory grains, CancellationToken cancellationToken)
    {
        productId = RawSegment.After(context, "products", productId);
        var (definition, problem) = await FindCatalogAsync(catalog, directory, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var product = await ShardOf(grains, definition!, productId).GetAsync(productId, cancellationToken);
        if (product is null)
        {
            return ProductNotFound(catalog, productId);
        }

        var bytes = n >= 0 && n < product.ImageCount ? await images.ReadAsync(catalog, productId, n, cancellationToken) : null;
        if (bytes is null)
        {
            return Problems.Make(StatusCodes.Status404NotFound, "Image not found",
                $"Product '{productId}' has {product.ImageCount} images (0 to {product.ImageCount - 1}); there is no image {n}.");
        }

        var format = ImageDecoder.Inspect(bytes, new ImageLimits { MaxBytes = long.MaxValue, MaxPixels = long.MaxValue }).Format;
        return TypedResults.File(bytes, $"image/{format}");
    }

    private static async Task<(CatalogDefinition? Definition, ProblemHttpResult? Problem)> FindCatalogAsync(
        string catalog, CatalogDirectory directory, CancellationToken cancellationToken)
    {
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return (null, Problems.BadCatalogName(catalog));
        }

        var definition = await directory.FindAsync(catalog, cancellationToken);
        return definition is null ? (null, Problems.CatalogNotFound(catalog)) : (definition, null);
    }

    private static ICatalogShardGrain ShardOf(IGrainFactory grains, CatalogDefinition catalog, string productId) =>
        grains.GetGrain<ICatalogShardGrain>(ShardKeys.For(catalog.Name, ShardRouter.ShardOf(productId, catalog.Shards)));

    private static ProblemHttpResult ProductNotFound(string catalog, string productId) =>
        Problems.Make(StatusCodes.Status404NotFound, "Product not found", $"Catalog '{catalog}' has no product '{productId}'.");

    private static string? ValidateText(string what, string value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"The {what} is empty.";
        }

        if (value.Length > maxLength)
        {
            return $"The {what} is {value.Length} characters; the limit is {maxLength}.";
        }

        return value.Any(char.IsControl) ? $"The {what} contains control characters." : null;
    }
}
