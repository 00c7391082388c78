using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace OutfitFinder.Bench.Cluster;

/// <summary>
/// A cluster of real processes on loopback, started and stopped by <c>scripts/cluster.sh</c> (the same script
/// people and the cluster tests use) in a run folder of its own. Uses the Release builds of src/Silo and
/// src/Gateway already on disk (build them first).
/// </summary>
internal sealed class ScriptedCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _run = Directory.CreateTempSubdirectory("outfit-bench-cluster-").FullName;
    private readonly Dictionary<string, string> _environment;

    private ScriptedCluster(string root, Dictionary<string, string> environment) => (_root, _environment) = (root, environment);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Starts <paramref name="silos"/> silos (the first <paramref name="gpuSilos"/> told they have a GPU) and the gateway;
    /// <paramref name="siloArgs"/> go to every silo.
    /// </summary>
    public static async Task<ScriptedCluster> StartAsync(
        string root, int silos, string siloArgs, int? heapLimitMiB, CancellationToken cancellationToken, int gpuSilos = 0)
    {
        var environment = new Dictionary<string, string>
        {
            ["OUTFIT_CLUSTER_NO_BUILD"] = "1",
            ["OUTFIT_SILO_ARGS"] = siloArgs,
            // The gateway checks keys (it is a cluster client) and limits each key; the benchmark is one
            // key driving the cluster as hard as it can, so its limits are lifted out of the measurement.
            ["OUTFIT_GATEWAY_ARGS"] = string.Join(' ', new[] { "Search", "Write", "Ingest", "Admin" }
                .SelectMany(scope => new[] { $"--Limits:{scope}:PerSecond=1000000", $"--Limits:{scope}:Burst=1000000" })
                .Append("--Limits:ImageSearchConcurrency=100000")),
        };
        if (heapLimitMiB is { } limit)
        {
            environment["OUTFIT_SILO_HEAP_LIMIT_MB"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var cluster = new ScriptedCluster(root, environment);
        var output = await cluster.ScriptAsync(cancellationToken, "up", silos.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gpu", gpuSilos.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cluster.Http.BaseAddress = new Uri(output.Trim().Split('\n')[^1].Trim());
        // cluster.sh seeds an admin key with every scope and saves it in the run folder.
        cluster.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", (await File.ReadAllTextAsync(Path.Combine(cluster._run, "api-key"), cancellationToken)).Trim());
        return cluster;
    }

    /// <summary>Starts one more silo; returns its address.</summary>
    public async Task<string> JoinAsync(CancellationToken cancellationToken) =>
        (await ScriptAsync(cancellationToken, "join")).Trim().Split('\n')[^1].Trim();

    /// <summary>Restarts every silo one at a time (<c>scripts/cluster.sh restart</c>), waiting <paramref name="settleSeconds"/> after each.</summary>
    public Task RestartAsync(int settleSeconds, CancellationToken cancellationToken) =>
        ScriptAsync(cancellationToken, "restart", "--settle", settleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Every silo as <c>GET /v1/cluster</c> lists it.</summary>
    public async Task<IReadOnlyList<JsonElement>> SilosAsync(CancellationToken cancellationToken)
    {
        var body = await Http.GetFromJsonAsync<JsonElement>("/v1/cluster", cancellationToken);
        return [.. body.GetProperty("silos").EnumerateArray()];
    }

    /// <summary>The process id of the silo advertising <paramref name="address"/>.</summary>
    public int PidOf(string address)
    {
        var name = File.ReadLines(Path.Combine(_run, "endpoints")).Select(line => line.Split(' '))
            .Single(fields => fields[0].StartsWith("silo", StringComparison.Ordinal) && fields[1] == address)[0];
        return int.Parse(File.ReadLines(Path.Combine(_run, "pids")).Select(line => line.Split(' ')).Single(fields => fields[0] == name)[1],
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends <paramref name="signal"/> (<c>KILL</c> or <c>TERM</c>) to a silo's process.</summary>
    public async Task SignalAsync(string address, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, PidOf(address).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await ScriptAsync(CancellationToken.None, "down");
            Directory.Delete(_run, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"stopping the cluster in {_run}: {exception.Message}");
        }
    }

    private async Task<string> ScriptAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(_root, "scripts/cluster.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OUTFIT_CLUSTER_RUN"] = _run;
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"scripts/cluster.sh {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}\n{await error}");
    }
}
