using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OutfitFinder.Gateway.Apis;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Bench.Search;

/// <summary>
/// The real gateway with its embedded silo, hosted in this process exactly as
/// <c>src/Gateway/Program.cs</c> hosts it, on a loopback port and a storage folder of its own.
/// </summary>
internal sealed class InProcessGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGateway(WebApplication app, Uri address)
    {
        this._app = app;
        Address = address;
    }

    /// <summary>Base address of the REST API, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The cluster, for loading shards directly through their grains.</summary>
    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The gateway's own services, for timing its search path without HTTP.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the gateway on a free loopback port with its silo on free ports, keeping its data
    /// under <paramref name="storageRoot"/>, with <paramref name="settings"/> (<c>--Section:Key=value</c>)
    /// added to its command line. Only warnings and errors are logged.
    /// </summary>
    public static async Task<InProcessGateway> StartAsync(string storageRoot, IReadOnlyList<string> settings, CancellationToken cancellationToken)
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--Storage:Root={storageRoot}",
            $"--Cluster:SiloPort={FreePorts.Next()}",
            $"--Cluster:GatewayPort={FreePorts.Next()}",
            "--Logging:LogLevel:Default=Warning",

            // No web page is served here (its files are not in this output folder), and the silo's
            // start-up notes are not about the measurement. Stall and starvation warnings stay on:
            // they say when the machine was too busy for the figures to mean much.
            "--Logging:LogLevel:Microsoft.AspNetCore.StaticFiles=Error",
            "--Logging:LogLevel:Orleans.Runtime.Silo=Error",

            // Last, so that a benchmark's own settings win.
            .. settings,
        ];

        // Same calls, same order as src/Gateway/Program.cs; only the arguments differ.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddOutfitFinderGateway();

        var app = builder.Build();
        app.UseOutfitFinderGateway();
        app.MapOutfitFinderEndpoints();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        // Port 0 in --urls lets Kestrel pick a free port; the bound address replaces it.
        var address = new Uri(app.Urls.First());
        return new InProcessGateway(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _app.StopAsync(stopping.Token);
        }

        await _app.DisposeAsync();
    }
}
