using OutfitFinder.Grains.Cluster;

namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// Sends extraction calls round-robin over the silos extraction runs on (GPU silos when any is up),
/// for the gateway and for ingestion jobs alike.
/// </summary>
/// <remarks>
/// Extractors are stateless workers, and Orleans activates a stateless worker on the caller's own silo
/// when that silo is compatible, or on one random compatible silo per grain id otherwise: every call
/// from one client or one CPU silo would go to the same GPU silo. So each extraction silo gets its own
/// extractor grain id (<see cref="SiloKeys.For"/>), activated there through a placement hint, and the
/// router takes turns over them. The list of silos is refreshed every <see cref="RefreshInterval"/> and
/// whenever a call finds a silo gone; such a call is retried once elsewhere (embedding has no side effect).
/// </remarks>
public sealed class ExtractorRouter(IGrainFactory grains, TimeProvider time)
{
    /// <summary>How long a list of extraction silos is used before it is asked for again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Route? _route;
    private int _turn;

    /// <summary>Embeds <paramref name="request"/> on the next extraction silo.</summary>
    public async Task<EmbedResult> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken)
    {
        var silo = await NextSiloAsync(cancellationToken);
        try
        {
            return await CallAsync(silo, request, cancellationToken);
        }
        catch (SiloUnavailableException) when (silo is not null)
        {
            _route = null;
            return await CallAsync(await NextSiloAsync(cancellationToken), request, cancellationToken);
        }
    }

    private Task<EmbedResult> CallAsync(SiloAddress? silo, EmbedRequest request, CancellationToken cancellationToken) =>
        silo is null
            // No list (RequireGpu with no GPU silo up, or a cluster still starting): let placement decide, and fail with its reason.
            ? grains.GetGrain<IExtractorGrain>(0).EmbedAsync(request, cancellationToken)
            : SiloKeys.CallOnAsync(silo, () => grains.GetGrain<IExtractorGrain>(SiloKeys.For(silo)).EmbedAsync(request, cancellationToken));

    private async Task<SiloAddress?> NextSiloAsync(CancellationToken cancellationToken)
    {
        var silos = await SilosAsync(cancellationToken);
        return silos.Length == 0 ? null : silos[(int)((uint)Interlocked.Increment(ref _turn) % silos.Length)];
    }

    private async Task<SiloAddress[]> SilosAsync(CancellationToken cancellationToken)
    {
        if (_route is { } current && time.GetUtcNow() < current.Until)
        {
            return current.Silos;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_route is { } fresh && time.GetUtcNow() < fresh.Until)
            {
                return fresh.Silos;
            }

            var silos = await grains.GetGrain<IClusterInfoGrain>(0).GetExtractionSilosAsync(cancellationToken);
            _route = new Route(silos, time.GetUtcNow() + RefreshInterval);
            return silos;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record Route(SiloAddress[] Silos, DateTimeOffset Until);
}
