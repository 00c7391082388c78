using System.Diagnostics;
using System.Net.Http.Json;
using OutfitFinder.Bench.Reporting;

namespace OutfitFinder.Bench.Cluster;

/// <summary>What happens to the cluster: a silo killed, stopped gracefully, or added.</summary>
internal enum ClusterEvent
{
    /// <summary><c>kill -9</c> of the silo holding the most shards.</summary>
    Kill,

    /// <summary>SIGTERM to the silo holding the most shards: a graceful stop.</summary>
    Term,

    /// <summary>A silo joins a cluster of one fewer.</summary>
    Join,

    /// <summary>Every silo restarted in turn (<c>scripts/cluster.sh restart</c>), 15 s apart.</summary>
    Restart,
}

internal sealed record ClusterFailureSettings(
    IReadOnlyList<ClusterEvent> Events, int Silos, int Shards, int Products, int SearchLoops, TimeSpan Before, TimeSpan After,
    IReadOnlyList<int>? Replicas = null);

/// <summary>
/// Search and write load against a cluster of real processes on loopback, one event in the middle: seconds with
/// failed or partial answers, QPS and p99 before, during and after, acknowledged writes lost (every one read back),
/// and the time until every shard answers again.
/// </summary>
internal static class ClusterFailureBenchmark
{
    /// <summary>The white-box model's vector length: cheap to embed, so the load measures the cluster, not the model.</summary>
    private const int Dimension = 1860;

    private const string SiloArgs = "--Extraction:Gpu=false --Extraction:Preload:0=whitebox";

    public static async Task RunAsync(ClusterFailureSettings settings, Report report, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        report.Machine();
        report.Line($"{settings.Silos} silos (Redis membership, loopback), a catalog of {settings.Shards} shards and {settings.Products} products, " +
            $"{settings.SearchLoops} search loops and 1 write loop, {settings.Before.TotalSeconds:F0} s before the event and {settings.After.TotalSeconds:F0} s after.");
        var table = new MarkdownTable("event", "replicas", "failed or partial seconds", "every shard answering after", "writes acked / failed / lost",
            "QPS before", "p99 before", "QPS during", "p99 during", "partial / failed during", "QPS after", "p99 after");
        foreach (var replicas in settings.Replicas ?? [1])
        {
            foreach (var clusterEvent in settings.Events)
            {
                var row = await RunOneAsync(root, clusterEvent, replicas, settings, report, cancellationToken);
                table.Add(row);
            }
        }

        report.Table(table);
        report.LoadAtEnd();
    }

    private static async Task<string[]> RunOneAsync(string root, ClusterEvent clusterEvent, int replicas, ClusterFailureSettings settings, Report report,
        CancellationToken cancellationToken)
    {
        var initialSilos = clusterEvent == ClusterEvent.Join ? settings.Silos - 1 : settings.Silos;
        await using var cluster = await ScriptedCluster.StartAsync(root, initialSilos, SiloArgs + " --Cluster:Rebalance:Interval=00:00:05", null, cancellationToken);
        (await cluster.Http.PutAsJsonAsync("/v1/catalogs/load", new { model = "whitebox", shards = settings.Shards, replicas }, cancellationToken)).EnsureSuccessStatusCode();
        await ClusterLoad.PreloadAsync(cluster.Http, "load", settings.Products, cancellationToken);
        if (replicas > 1)
        {
            // Replicas start on their writers' first placement check after the load and move apart at later ones (every
            // 10 s), while the balancer evens out the writers: wait until every copy of every shard is on a silo of its own.
            var settled = Stopwatch.StartNew();
            while (CoLocated(await cluster.SilosAsync(cancellationToken), settings.Shards, replicas) is var left && left > 0)
            {
                if (settled.Elapsed > TimeSpan.FromSeconds(90))
                {
                    report.Line($"{left} shards still had two copies on one silo after 90 s; measuring anyway.");
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            report.Line($"replicas placed apart {settled.Elapsed.TotalSeconds:F0} s after the load.");
        }

        var replicaBytes = (await cluster.SilosAsync(cancellationToken)).Sum(silo => silo.TryGetProperty("replicaBytes", out var bytes) ? bytes.GetInt64() : 0);
        var shardBytes = (await cluster.SilosAsync(cancellationToken)).Sum(silo => silo.GetProperty("bytes").GetInt64());
        report.Line($"{clusterEvent}, replicas {replicas}: index bytes {shardBytes} in writers, {replicaBytes} in read replicas " +
            $"({(replicas > 1 ? replicaBytes / (double)(settings.Shards * (replicas - 1)) : 0):F0} per replica).");

        var load = new ClusterLoad(cluster.Http, "load", Dimension, settings.SearchLoops);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        await Task.Delay(settings.Before, cancellationToken);

        var eventAt = load.Now;
        string what;
        if (clusterEvent == ClusterEvent.Join)
        {
            what = $"silo {await cluster.JoinAsync(cancellationToken)} joined";
        }
        else if (clusterEvent == ClusterEvent.Restart)
        {
            await cluster.RestartAsync(settleSeconds: 15, cancellationToken);
            what = $"every silo restarted in turn, 15 s apart";
        }
        else
        {
            var victim = (await cluster.SilosAsync(cancellationToken)).MaxBy(silo => silo.GetProperty("shards").GetArrayLength());
            var address = victim.GetProperty("address").GetString()!;
            await cluster.SignalAsync(address, clusterEvent == ClusterEvent.Kill ? "KILL" : "TERM");
            what = $"{(clusterEvent == ClusterEvent.Kill ? "kill -9" : "SIGTERM")} of {address}, which held {victim.GetProperty("shards").GetArrayLength()} shards";
        }

        await Task.Delay(settings.After, cancellationToken);
        await stop.CancelAsync();
        await running;
        var lost = await load.LostWritesAsync(cancellationToken);
        var spread = string.Join(" / ", (await cluster.SilosAsync(cancellationToken)).Where(silo => silo.GetProperty("status").GetString() == "Active")
            .Select(silo => silo.GetProperty("shards").GetArrayLength()));
        report.Line($"{clusterEvent}: {what}; shards per live silo at the end: {spread}.");

        var searches = load.Searches.OrderBy(outcome => outcome.At).ToList();
        var bad = searches.Where(outcome => outcome.At >= eventAt && outcome.Kind != OutcomeKind.Complete).ToList();
        // Until the last failed or partial answer, the cluster was still recovering.
        var recoveredAt = bad.Count == 0 ? eventAt : bad.Max(outcome => outcome.At + (outcome.Ms / 1000));
        var badSeconds = bad.Select(outcome => (int)Math.Floor(outcome.At - eventAt)).Distinct().Count();
        var before = searches.Where(outcome => outcome.At < eventAt).ToList();
        var during = searches.Where(outcome => outcome.At >= eventAt && outcome.At < recoveredAt).ToList();
        var after = searches.Where(outcome => outcome.At >= recoveredAt).ToList();
        var writesAfterEvent = load.Writes.Where(outcome => outcome.At >= eventAt).ToList();
        report.Json(new
        {
            benchmark = "cluster-failure", clusterEvent = clusterEvent.ToString(), replicas, badSeconds, recoverySeconds = Math.Round(recoveredAt - eventAt, 1),
            acknowledged = load.Acknowledged.Count, failedWrites = load.Writes.Count(outcome => outcome.Kind == OutcomeKind.Failed), lost = lost.Count,
            before = Summary(before, eventAt), during = Summary(during, recoveredAt - eventAt), after = Summary(after, load.Now - recoveredAt),
        });

        return
        [
            clusterEvent.ToString(), $"{replicas}", $"{badSeconds}", $"{recoveredAt - eventAt:F1} s",
            $"{load.Acknowledged.Count} / {load.Writes.Count(outcome => outcome.Kind == OutcomeKind.Failed)} / {lost.Count}",
            .. Cells(before, eventAt), .. Cells(during, recoveredAt - eventAt),
            during.Count == 0 ? "—" : $"{during.Count(o => o.Kind == OutcomeKind.Partial)} / {during.Count(o => o.Kind == OutcomeKind.Failed)}",
            .. Cells(after, load.Now - recoveredAt),
        ];
    }

    /// <summary>Shards of the catalog <c>load</c> with fewer than <paramref name="replicas"/> copies running or two copies on one silo.</summary>
    private static int CoLocated(IReadOnlyList<System.Text.Json.JsonElement> silos, int shards, int replicas)
    {
        var bad = 0;
        for (var shard = 0; shard < shards; shard++)
        {
            var copies = silos.Where(silo => silo.GetProperty("status").GetString() == "Active")
                .Select(silo => silo.GetProperty("shards").EnumerateArray().Count(key => key.GetString() == $"load/{shard}")
                    + (silo.TryGetProperty("replicas", out var list) ? list.EnumerateArray().Count(key => key.GetString()!.StartsWith($"load/{shard}/", StringComparison.Ordinal)) : 0))
                .Where(count => count > 0).ToList();
            bad += copies.Sum() < replicas || copies.Any(count => count > 1) ? 1 : 0;
        }

        return bad;
    }

    private static object? Summary(IReadOnlyList<Outcome> outcomes, double seconds) => outcomes.Count == 0 ? null : new
    {
        count = outcomes.Count, qps = Report.Rate(outcomes.Count / seconds), p50Ms = Report.Ms(Statistics.Median([.. outcomes.Select(o => o.Ms)])),
        p99Ms = Report.Ms(Statistics.Percentile([.. outcomes.Select(o => o.Ms)], 99)),
    };

    private static string[] Cells(IReadOnlyList<Outcome> outcomes, double seconds) => outcomes.Count == 0 || seconds <= 0
        ? ["—", "—"]
        : [$"{outcomes.Count / seconds:F1}", $"{Statistics.Percentile([.. outcomes.Select(o => o.Ms)], 99):F0} ms"];

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "scripts", "cluster.sh")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("scripts/cluster.sh not found above the working directory or the program; run from the repository.");
    }
}
