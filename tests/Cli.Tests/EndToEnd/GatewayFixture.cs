using OutfitFinder.Cli.Tests.Infrastructure;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary>One real gateway shared by a test class; each test uses catalogs of its own.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private readonly GatewayFactory _factory = new();
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        // Creating the client starts the host: the silo is up and the model loaded before any test runs.
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    /// <summary>Runs <c>outfit ARGS --gateway URL</c> in-process against this gateway.</summary>
    internal Task<CliResult> RunCliAsync(params string[] args) =>
        CliHarness.RunAsync(_http, [.. args, "--gateway", _factory.Server.BaseAddress.AbsoluteUri]);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        Directory.Delete(_factory.StorageRoot, recursive: true);
    }
}
