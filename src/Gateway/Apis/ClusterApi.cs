using Microsoft.AspNetCore.Http.HttpResults;
using OutfitFinder.Gateway.Access;
using OutfitFinder.Grains.Cluster;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>GET /v1/cluster</c>: the silos, their status and GPU, and the shards each hosts.</summary>
public static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", GetAsync).WithTags("Cluster").WithName("GetCluster")
            .WithSummary("Every silo membership knows: address, status, gpu, the shards active on it, their vectors and bytes, its extractors and its own counters.")
            .RequireScope(ApiScope.Admin);
        return app;
    }

    internal static async Task<Results<Ok<ClusterResponse>, ProblemHttpResult>> GetAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        IReadOnlyList<SiloView> silos;
        try
        {
            silos = await grains.GetGrain<IClusterInfoGrain>(0).GetSilosAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
        {
            // The silo answering for the cluster died mid-call; membership has not caught up yet.
            return Problems.Make(StatusCodes.Status503ServiceUnavailable, "Cluster view unavailable",
                $"The silo asked for the cluster's view did not answer ({exception.GetType().Name}); retry in a few seconds.");
        }

        return TypedResults.Ok(new ClusterResponse([.. silos.Select(silo => new ClusterSilo(silo.Address, silo.Gpu, silo.Status, silo.Shards, silo.Vectors, silo.Bytes,
            silo.Extractors, silo.Stats?.ImagesEmbedded, silo.Stats?.ModelRuns, silo.Stats?.ExecutionProviders, silo.Stats?.HeapBytes, silo.Stats?.HeapLimitBytes,
            silo.Replicas ?? [], silo.ReplicaBytes))]));
    }
}

/// <summary>The body of <c>GET /v1/cluster</c>.</summary>
public sealed record ClusterResponse(IReadOnlyList<ClusterSilo> Silos);

/// <summary>One silo in <see cref="ClusterResponse"/>.</summary>
/// <param name="Address">Where other silos reach it, <c>host:port</c>.</param>
/// <param name="Gpu">Its metadata says <c>gpu=true</c>: extractors run there when any such silo is up.</param>
/// <param name="Status">Its membership status: <c>Active</c>, <c>Joining</c>, <c>ShuttingDown</c>, <c>Dead</c>, …</param>
/// <param name="Shards">The shards active on it, as <c>catalog/n</c>.</param>
/// <param name="Vectors">Image vectors those shards hold.</param>
/// <param name="Bytes">Estimated bytes of those shards' indexes (vectors, graph, rows).</param>
/// <param name="Extractors">Extractor activations on it.</param>
/// <param name="ImagesEmbedded">Images it embedded since it started; null when it did not answer.</param>
/// <param name="ModelRuns">Model calls (batches) it ran since it started; null when it did not answer.</param>
/// <param name="ExecutionProviders">Each loaded model's ONNX Runtime execution provider, as <c>model=provider</c>.</param>
/// <param name="HeapBytes">Its managed heap now.</param>
/// <param name="HeapLimitBytes">The managed memory its runtime may use (a heap hard limit, or the machine's).</param>
/// <param name="Replicas">The read replicas active on it, as <c>catalog/n/r</c>.</param>
/// <param name="ReplicaBytes">Estimated bytes of those replicas' indexes.</param>
public sealed record ClusterSilo(string Address, bool Gpu, string Status, IReadOnlyList<string> Shards, long Vectors, long Bytes, int Extractors,
    long? ImagesEmbedded, long? ModelRuns, IReadOnlyList<string>? ExecutionProviders, long? HeapBytes, long? HeapLimitBytes,
    IReadOnlyList<string> Replicas, long ReplicaBytes);
