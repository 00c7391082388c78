using System.Diagnostics;
using System.Text;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The gateway with its embedded silo as a real child process (the build output copied beside the
/// tests), so a test can kill it the way an operating system does: no shutdown, no flush.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, Uri address)
    {
        this._process = process;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>What the process printed, for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the gateway on free ports with <paramref name="settings"/> as command-line configuration and waits until it is ready.</summary>
    public static async Task<GatewayProcess> StartAsync(IDictionary<string, string> settings)
    {
        var port = FreePorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "OutfitFinder.Gateway.dll"));
        var all = new Dictionary<string, string>(settings)
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Cluster:SiloPort"] = FreePorts.Next().ToString(),
            ["Cluster:GatewayPort"] = FreePorts.Next().ToString(),
            ["Extraction:Gpu"] = "false",
        };
        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var process = new Process { StartInfo = start };
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, line) => gateway.Append(line.Data);
        process.ErrorDataReceived += (_, line) => gateway.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await gateway.WaitUntilReadyAsync();
        return gateway;
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if ((await Http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"The gateway did not become ready:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
