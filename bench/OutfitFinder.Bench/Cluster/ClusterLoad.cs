using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Bench.Cluster;

/// <summary>What one request of the load gave: when it started (seconds since the load began), how long it took, how it ended.</summary>
internal readonly record struct Outcome(double At, double Ms, OutcomeKind Kind);

internal enum OutcomeKind
{
    Complete,
    Partial,
    Failed,
}

/// <summary>
/// Bounded load against a cluster's gateway on loopback: search loops (a vector query each, k = 10) and one write
/// loop (a product with one small image each), each request waiting for the one before it, so the load never
/// outruns what the cluster answers. Records every outcome and every acknowledged write.
/// </summary>
internal sealed class ClusterLoad(HttpClient http, string catalog, int dimension, int searchLoops)
{
    private readonly Stopwatch _clock = new();
    private readonly List<Outcome> _searches = [];
    private readonly List<Outcome> _writes = [];
    private readonly List<string> _acknowledged = [];

    public double Now => _clock.Elapsed.TotalSeconds;

    public IReadOnlyList<Outcome> Searches => _searches;

    public IReadOnlyList<Outcome> Writes => _writes;

    public IReadOnlyList<string> Acknowledged => _acknowledged;

    /// <summary>Runs the load until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken stop)
    {
        _clock.Start();
        return Task.WhenAll([.. Enumerable.Range(0, searchLoops).Select(loop => SearchLoopAsync(loop, stop)), WriteLoopAsync(stop)]);
    }

    /// <summary>Writes <paramref name="count"/> products before the load starts, four at a time.</summary>
    public static async Task PreloadAsync(HttpClient http, string catalog, int count, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                if (!await PutAsync(http, catalog, $"pre{i}", i, token))
                {
                    throw new InvalidOperationException($"writing product pre{i} before the load failed");
                }
            });

    /// <summary>Reads back every acknowledged write; returns those not found.</summary>
    public async Task<IReadOnlyList<string>> LostWritesAsync(CancellationToken cancellationToken)
    {
        var lost = new List<string>();
        foreach (var id in _acknowledged)
        {
            using var response = await http.GetAsync($"/v1/catalogs/{catalog}/products/{id}", cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                lost.Add(id);
            }
        }

        return lost;
    }

    private async Task SearchLoopAsync(int loop, CancellationToken stop)
    {
        var random = new Random(loop);
        while (!stop.IsCancellationRequested)
        {
            var vector = new float[dimension];
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = random.NextSingle();
            }

            var at = Now;
            var kind = OutcomeKind.Failed;
            try
            {
                using var response = await http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector, k = 10 }, CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None));
                    kind = body.RootElement.GetProperty("partial").GetBoolean() ? OutcomeKind.Partial : OutcomeKind.Complete;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }

            lock (_searches)
            {
                _searches.Add(new Outcome(at, (Now - at) * 1000, kind));
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var id = $"w{n}";
            var at = Now;
            bool acknowledged;
            try
            {
                acknowledged = await PutAsync(http, catalog, id, 100_000 + n, CancellationToken.None);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                acknowledged = false;
            }

            _writes.Add(new Outcome(at, (Now - at) * 1000, acknowledged ? OutcomeKind.Complete : OutcomeKind.Failed));
            if (acknowledged)
            {
                _acknowledged.Add(id);
            }
        }
    }

    private static async Task<bool> PutAsync(HttpClient http, string catalog, string id, int seed, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(NoiseBitmaps.Bmp(seed)), "image", "p.bmp" } };
        using var response = await http.PutAsync($"/v1/catalogs/{catalog}/products/{id}", form, cancellationToken);
        return response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK;
    }
}
