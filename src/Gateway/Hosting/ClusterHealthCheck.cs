using Microsoft.Extensions.Diagnostics.HealthChecks;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Hosting;

/// <summary>
/// Ready means a grain call round-trips and storage answers: it asks a catalog grain whose name
/// no client can create (names may not start with '_') to load its definition.
/// </summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await grains.GetGrain<ICatalogGrain>("_health").GetAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster did not answer a grain call.", exception);
        }
    }
}
