using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>
/// One Azurite blob service for every test in <see cref="AzuriteCollection"/>: started on a free
/// loopback port with in-memory storage, and stopped when those tests end. Azurite comes from
/// <c>OUTFIT_AZURITE</c> (the <c>azurite-blob</c> executable; scripts/test.sh sets it) or from
/// <c>.tools/node_modules/.bin/azurite-blob</c> in the repository; with neither, the tests skip.
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Variable naming the <c>azurite-blob</c> executable to run.</summary>
    public const string ExecutableVariable = "OUTFIT_AZURITE";

    // Azurite's well-known development account; it serves no other.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TempFolder? _workFolder;
    private Process? _process;

    /// <summary>Why the Azure tests skip; null when Azurite is running.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Connection string for the running Azurite's development account.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Skips the calling test when Azurite is not installed.</summary>
    public void SkipUnlessRunning() => Skip.If(SkipReason is not null, SkipReason);

    /// <summary>A client for a new, uniquely named container that does not exist yet.</summary>
    public BlobContainerClient NewContainerClient(BlobClientOptions? options = null) =>
        new(ConnectionString, "test-" + Guid.NewGuid().ToString("N"), options ?? new BlobClientOptions());

    /// <summary>A store on a new, empty container of its own.</summary>
    public Task<AzureBlobStore> CreateStoreAsync() =>
        AzureBlobStore.CreateAsync(ConnectionString, "test-" + Guid.NewGuid().ToString("N"), CancellationToken.None);

    public async Task InitializeAsync()
    {
        var executable = FindExecutable();
        if (executable is null)
        {
            SkipReason = $"Azurite is not installed: run scripts/test.sh, which installs it into .tools/, or set {ExecutableVariable} to an azurite-blob executable.";
            return;
        }

        _workFolder = new TempFolder();
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _workFolder.Path,
        };
        // Port 0: the system picks a free port, and Azurite prints the one it got.
        foreach (var argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
            "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnOutput(e.Data);
        _process.ErrorDataReceived += (_, e) => OnOutput(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException(
            $"Azurite ({executable}) exited with code {_process.ExitCode} before listening. Its output:\n{Output()}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        Uri endpoint;
        try
        {
            endpoint = await _listening.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"Azurite ({executable}) did not say where it listens within {StartTimeout.TotalSeconds} s. Its output:\n{Output()}");
        }

        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={endpoint.AbsoluteUri.TrimEnd('/')}/{AccountName};";
        await WaitUntilAnsweringAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        _workFolder?.Dispose();
    }

    private static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            // Set on purpose, so a wrong value is an error rather than a quiet skip.
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{ExecutableVariable} is '{configured}', which is not a file; point it at an azurite-blob executable or unset it.");
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                var installed = Path.Combine(folder.FullName, ".tools", "node_modules", ".bin", "azurite-blob");
                return File.Exists(installed) ? installed : null;
            }
        }

        return null;
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        var service = new BlobServiceClient(ConnectionString);
        while (true)
        {
            try
            {
                await service.GetPropertiesAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        // "Azurite Blob service successfully listens on http://127.0.0.1:41517"
        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups["endpoint"].Value));
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    [GeneratedRegex(@"listens on (?<endpoint>https?://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The tests that share one Azurite.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
