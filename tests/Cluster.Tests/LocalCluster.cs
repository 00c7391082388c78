using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace OutfitFinder.Cluster.Tests;

/// <summary>
/// A cluster of real processes started by <c>scripts/cluster.sh</c> in a run folder of its own, and
/// stopped by it on dispose, whatever the tests did. When the membership store is missing and cannot
/// be installed, <see cref="Unavailable"/> says why and the tests skip.
/// </summary>
public abstract class LocalCluster : IAsyncLifetime
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(3);

    /// <summary><c>scripts/cluster.sh</c>'s exit status when the store is missing and cannot be installed.</summary>
    private const int StoreUnavailable = 3;
    private readonly string _provider;
    private readonly int _silos;
    private readonly int _gpuSilos;
    private readonly string _run = Directory.CreateTempSubdirectory("outfit-cluster-").FullName;

    protected LocalCluster(string provider, int silos, int gpuSilos = 0) => (_provider, _silos, _gpuSilos) = (provider, silos, gpuSilos);

    /// <summary>
    /// A folder every silo reads as the ingestion source named <c>local</c>: tests write manifests and
    /// images into it before starting a job. Apart from the run folder, which <c>up</c> empties.
    /// </summary>
    public string SourceFolder { get; } = Directory.CreateTempSubdirectory("outfit-cluster-source-").FullName;

    /// <summary>Environment variables every process of the cluster starts with, besides the harness's own.</summary>
    protected virtual IReadOnlyDictionary<string, string> ProcessEnvironment => new Dictionary<string, string>();

    /// <summary>Why this cluster could not start, or null when it runs.</summary>
    public string? Unavailable { get; private set; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static string RepositoryRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        Unavailable = MissingStore();
        if (Unavailable is not null)
        {
            return;
        }

        var (code, output) = await ScriptAsync(StartLimit, "up", _silos.ToString(), "--provider", _provider, "--gpu", _gpuSilos.ToString());
        if (code == StoreUnavailable)
        {
            Unavailable = output.Trim();
            return;
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/cluster.sh up failed ({code}):\n{output}\n{Logs()}");
        }

        Http.BaseAddress = new Uri(output.Trim().Split('\n')[^1].Trim());
        // A cluster's gateway checks keys; cluster.sh seeds an admin key with every scope and saves it.
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", (await File.ReadAllTextAsync(Path.Combine(_run, "api-key"))).Trim());
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        if (File.Exists(Path.Combine(_run, "pids")))
        {
            await ScriptAsync(TimeSpan.FromMinutes(1), "down");
        }

        try
        {
            Directory.Delete(SourceFolder, recursive: true);
            // OUTFIT_KEEP_CLUSTER_RUN=1 keeps the run's folder (every process's log) for reading after a failure.
            if (Environment.GetEnvironmentVariable("OUTFIT_KEEP_CLUSTER_RUN") != "1")
            {
                Directory.Delete(_run, recursive: true);
            }
        }
        catch (IOException)
        {
            // A store that died late may still hold a file; the folder is in the temp directory.
        }
    }

    /// <summary>Starts one more silo (<c>scripts/cluster.sh join</c>); returns its address, <c>host:port</c>.</summary>
    public async Task<string> JoinAsync(bool gpu = false)
    {
        var (code, output) = await ScriptAsync(StartLimit, gpu ? new[] { "join", "--gpu" } : new[] { "join" });
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/cluster.sh join failed ({code}):\n{output}\n{Logs()}");
        }

        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>The process id of the silo that advertises <paramref name="address"/> (<c>host:port</c>).</summary>
    public int PidOf(string address)
    {
        var name = File.ReadLines(Path.Combine(_run, "endpoints")).Select(line => line.Split(' '))
            .Single(fields => fields[0].StartsWith("silo", StringComparison.Ordinal) && fields[1] == address)[0];
        return int.Parse(File.ReadLines(Path.Combine(_run, "pids")).Select(line => line.Split(' ')).Single(fields => fields[0] == name)[1]);
    }

    /// <summary><c>GET /v1/cluster</c>.</summary>
    public async Task<IReadOnlyList<SiloJson>> SilosAsync() =>
        (await Http.GetFromJsonAsync<ClusterJson>("/v1/cluster"))!.Silos;

    /// <summary>The tail of every process's log, for a failure message.</summary>
    public string Logs() => string.Join("\n", Directory.Exists(Path.Combine(_run, "logs"))
        ? Directory.GetFiles(Path.Combine(_run, "logs")).Select(file => $"--- {Path.GetFileName(file)}\n{string.Join("\n", File.ReadLines(file).TakeLast(15))}")
        : []);

    /// <summary>The gateway's log lines that contain <paramref name="text"/>, each with the lines after it (an exception's).</summary>
    public string GatewayLogLines(string text, int following)
    {
        var log = Path.Combine(_run, "logs", "gateway.log");
        if (!File.Exists(log))
        {
            return $"(no {log})";
        }

        var lines = File.ReadAllLines(log);
        return string.Join("\n", lines.Select((line, i) => (line, i)).Where(pair => pair.line.Contains(text, StringComparison.Ordinal))
            .SelectMany(pair => lines.Skip(pair.i).Take(1 + following)));
    }

    private string? MissingStore() => _provider switch
    {
        "redis" when !OnPath("redis-server") && !OnPath("apt-get") =>
            "redis-server is not installed and this machine has no apt-get to install it; scripts/test.sh installs it",
        "azure" when !File.Exists(Path.Combine(RepositoryRoot, ".tools/node_modules/.bin/azurite-table")) && !OnPath("npm") =>
            "Azurite is not in .tools/ and npm is missing to install it; scripts/test.sh installs it",
        _ => null,
    };

    private async Task<(int Code, string Output)> ScriptAsync(TimeSpan limit, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot, "scripts/cluster.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OUTFIT_CLUSTER_RUN"] = _run;
        foreach (var (name, value) in ProcessEnvironment)
        {
            start.Environment[name] = value;
        }

        start.Environment["OUTFIT_CLUSTER_NO_BUILD"] = "1";
        // No GPU, and the small white-box model instead of ResNet18: three silos on two cores.
        // Rebalancing every 3 s rather than 20, so a join is even within a test's patience.
        start.Environment["OUTFIT_SILO_ARGS"] = "--Extraction:Gpu=false --Extraction:Preload:0=whitebox --Cluster:Rebalance:Interval=00:00:03 "
            + $"--Ingestion:Sources:local:Kind=Folder --Ingestion:Sources:local:Path={SourceFolder}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await ScriptAsync(TimeSpan.FromMinutes(1), "down");
            return (-1, $"timed out after {limit}\n{await output}\n{await error}");
        }

        return (process.ExitCode, process.ExitCode == 0 ? await output : $"{await output}\n{await error}");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, program)));

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Cluster.sln not found above the test's folder.");
    }
}

public sealed class RedisCluster() : LocalCluster("redis", 3);

public sealed class AzureStorageCluster() : LocalCluster("azure", 3);

/// <summary>Three silos on Redis, the first two told they have a GPU.</summary>
public sealed class GpuCluster() : LocalCluster("redis", 3, gpuSilos: 2);

/// <summary>
/// Two silos on Redis whose processes (and the gateway's) export their traces over OTLP/HTTP to a receiver in the
/// test process.
/// </summary>
public sealed class TracedCluster : LocalCluster
{
    public TracedCluster()
        : base("redis", 2)
    {
    }

    public OtlpTraceReceiver Receiver { get; } = new();

    protected override IReadOnlyDictionary<string, string> ProcessEnvironment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        // Export within a second rather than the default five, so the test waits less.
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Receiver.Dispose();
    }
}

/// <summary>Two silos on Redis, to which a test adds a third.</summary>
public sealed class GrowingCluster() : LocalCluster("redis", 2);

public sealed record ClusterJson([property: JsonPropertyName("silos")] IReadOnlyList<SiloJson> Silos);

public sealed record SiloJson(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("gpu")] bool Gpu,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("shards")] IReadOnlyList<string> Shards,
    [property: JsonPropertyName("vectors")] long Vectors,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("extractors")] int Extractors,
    [property: JsonPropertyName("imagesEmbedded")] long? ImagesEmbedded,
    [property: JsonPropertyName("replicas")] IReadOnlyList<string>? Replicas = null);
