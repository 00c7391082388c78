using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Core.Storage;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains.Ingestion;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>/v1/catalogs/{catalog}/ingestions</c>: start, follow and cancel bulk ingestion jobs.</summary>
public static partial class IngestionsApi
{
    public static IEndpointRouteBuilder MapIngestionsApi(this IEndpointRouteBuilder app)
    {
        var ingestions = app.MapGroup("/v1/catalogs/{catalog}/ingestions").WithTags("Ingestions").RequireScope(ApiScope.Ingest);
        ingestions.MapPost("", StartAsync).WithName("StartIngestion")
            .WithSummary("Start ingesting a manifest (CSV or JSON Lines) from a configured source; answers 202 with the job.")
            .AddEndpointFilter<RouteHandlerBuilder, ProductQuotaFilter>();
        ingestions.MapGet("", ListAsync).WithName("ListIngestions").WithSummary("The catalog's ingestion jobs, newest first.");
        ingestions.MapGet("/{id}", GetAsync).WithName("GetIngestion").WithSummary("A job's progress and its bad rows.");
        ingestions.MapDelete("/{id}", CancelAsync).WithName("CancelIngestion")
            .WithSummary("Cancel a running job; products already ingested stay.");
        return app;
    }

    internal static async Task<Results<Accepted<IngestionStatus>, Ok<IngestionStatus>, ProblemHttpResult>> StartAsync(
        string catalog, StartIngestionRequest? request, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await FindCatalogAsync(catalog, directory, cancellationToken) is { } problem)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request?.Source) || string.IsNullOrWhiteSpace(request.Manifest))
        {
            return Problems.BadRequest("The body needs 'source' (a source named in the cluster's Ingestion:Sources configuration) and 'manifest' (a path inside it).");
        }

        var id = string.IsNullOrEmpty(request.Id) ? Guid.NewGuid().ToString("N") : request.Id;
        if (!IsValidJobId(id))
        {
            return Problems.BadRequest($"Job id '{id}' is invalid: use 1–64 lower-case letters, digits, '-' or '_'.");
        }

        var result = await Job(grains, catalog, id).StartAsync(new IngestionRequest(request.Source, request.Manifest), cancellationToken);
        var location = $"/v1/catalogs/{catalog}/ingestions/{id}";
        return result.Error switch
        {
            IngestionStartError.None when result.Started => TypedResults.Accepted(location, result.Status!),
            IngestionStartError.None => TypedResults.Ok(result.Status!),
            IngestionStartError.UnknownCatalog => Problems.CatalogNotFound(catalog),
            IngestionStartError.Conflict => Problems.Make(StatusCodes.Status409Conflict, "Job exists", result.Message!),
            _ => Problems.BadRequest(result.Message!),
        };
    }

    internal static async Task<Results<Ok<IngestionStatus[]>, ProblemHttpResult>> ListAsync(
        string catalog, CatalogDirectory directory, IBlobStore store, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await FindCatalogAsync(catalog, directory, cancellationToken) is { } problem)
        {
            return problem;
        }

        var jobs = new List<IngestionStatus>();
        var folder = IngestionPaths.Jobs(catalog);
        await foreach (var path in store.ListAsync(folder, cancellationToken))
        {
            var id = Path.GetFileNameWithoutExtension(path[folder.Length..]);
            if (IsValidJobId(id) && await Job(grains, catalog, id).GetStatusAsync(cancellationToken) is { } status)
            {
                jobs.Add(status);
            }
        }

        return TypedResults.Ok(jobs.OrderByDescending(job => job.CreatedAt).ToArray());
    }

    internal static async Task<Results<Ok<IngestionStatus>, ProblemHttpResult>> GetAsync(
        string catalog, string id, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await FindJobAsync(catalog, id, directory, cancellationToken) is { } problem)
        {
            return problem;
        }

        var status = await Job(grains, catalog, id).GetStatusAsync(cancellationToken);
        return status is null ? JobNotFound(catalog, id) : TypedResults.Ok(status);
    }

    internal static async Task<Results<Ok<IngestionStatus>, ProblemHttpResult>> CancelAsync(
        string catalog, string id, CatalogDirectory directory, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (await FindJobAsync(catalog, id, directory, cancellationToken) is { } problem)
        {
            return problem;
        }

        var job = Job(grains, catalog, id);
        var before = await job.GetStatusAsync(cancellationToken);
        if (before is null)
        {
            return JobNotFound(catalog, id);
        }

        if (before.State != IngestionState.Running)
        {
            return Problems.Make(StatusCodes.Status409Conflict, "Job already ended",
                $"Job '{id}' has already ended ({before.State.ToString().ToLowerInvariant()}); there is nothing to cancel.");
        }

        return TypedResults.Ok((await job.CancelAsync(cancellationToken))!);
    }

    private static async Task<ProblemHttpResult?> FindCatalogAsync(string catalog, CatalogDirectory directory, CancellationToken cancellationToken)
    {
        if (!CatalogDirectory.IsValidName(catalog))
        {
            return Problems.BadCatalogName(catalog);
        }

        return await directory.FindAsync(catalog, cancellationToken) is null ? Problems.CatalogNotFound(catalog) : null;
    }

    private static async Task<ProblemHttpResult?> FindJobAsync(string catalog, string id, CatalogDirectory directory, CancellationToken cancellationToken) =>
        await FindCatalogAsync(catalog, directory, cancellationToken)
        ?? (IsValidJobId(id) ? null : JobNotFound(catalog, id));

    private static IIngestionJobGrain Job(IGrainFactory grains, string catalog, string id) =>
        grains.GetGrain<IIngestionJobGrain>(IngestionKeys.For(catalog, id));

    private static ProblemHttpResult JobNotFound(string catalog, string id) =>
        Problems.Make(StatusCodes.Status404NotFound, "Ingestion not found", $"Catalog '{catalog}' has no ingestion job '{id}'.");

    private static bool IsValidJobId(string id) => JobId().IsMatch(id);

    // \z, not $, which would also accept a final "\n".
    [GeneratedRegex(@"^[a-z0-9_-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex JobId();
}

/// <summary>Body of <c>POST /v1/catalogs/{catalog}/ingestions</c>.</summary>
/// <param name="Source">A source named in the cluster's <c>Ingestion:Sources</c> configuration.</param>
/// <param name="Manifest">Path of the manifest inside the source: <c>.csv</c>, or <c>.jsonl</c>/<c>.ndjson</c> for JSON Lines.</param>
/// <param name="Id">Optional job id chosen by the caller, so a retried request cannot start the job twice. Default: a new GUID.</param>
public sealed record StartIngestionRequest(string? Source, string? Manifest, string? Id = null);
