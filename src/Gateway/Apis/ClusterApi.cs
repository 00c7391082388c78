using OutfitFinder.Gateway.Access;
using OutfitFinder.Grains.Cluster;

namespace OutfitFinder.Gateway.Apis;

/// <summary><c>GET /v1/cluster</c>: the silos, their status and GPU, and the shards each hosts.</summary>
public static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", GetAsync).WithTags("Cluster").WithName("GetCluster")
            .WithSummary("Every silo membership knows: address, status, gpu, the shards active on it, their vectors and its extractors.")
            .RequireScope(ApiScope.Admin);
        return app;
    }

    internal static async Task<ClusterResponse> GetAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var silos = await grains.GetGrain<IClusterInfoGrain>(0).GetSilosAsync(cancellationToken);
        return new ClusterResponse([.. silos.Select(silo => new ClusterSilo(silo.Address, silo.Gpu, silo.Status, silo.Shards, silo.Vectors, silo.Extractors))]);
    }
}

/// <summary>The body of <c>GET /v1/cluster</c>.</summary>
public sealed record ClusterResponse(IReadOnlyList<ClusterSilo> Silos);

/// <summary>One silo in <see cref="ClusterResponse"/>.</summary>
public sealed record ClusterSilo(string Address, bool Gpu, string Status, IReadOnlyList<string> Shards, long Vectors, int Extractors);
