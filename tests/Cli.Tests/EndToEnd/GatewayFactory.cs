using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OutfitFinder.Gateway.Hosting;

namespace OutfitFinder.Cli.Tests.EndToEnd;

/// <summary>
/// The real gateway with its embedded silo and the real ResNet18 on CPU, on free Orleans ports and
/// a storage folder of its own that is deleted on dispose.
/// </summary>
/// <remarks>
/// A copy of the Gateway tests' factory rather than a shared one: TestSupport is referenced by the
/// Core and benchmark projects too, and moving this class there would pull ASP.NET Core,
/// Mvc.Testing and the gateway into all of them for one small file.
/// <para>
/// The entry-point type is <see cref="GatewayOptions"/>, not <c>Program</c>: this project sees
/// the CLI's internal <c>Program</c> as well as the gateway's, and any public type of the gateway
/// assembly locates its entry point equally well.
/// </para>
/// </remarks>
public sealed class GatewayFactory : WebApplicationFactory<GatewayOptions>
{
    private readonly Dictionary<string, string?> _settings;

    public GatewayFactory()
    {
        StorageRoot = Directory.CreateTempSubdirectory("outfit-cli-e2e-").FullName;
        _settings = new Dictionary<string, string?>
        {
            ["Storage:Root"] = StorageRoot,
            ["Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Extraction:Gpu"] = "false",
        };
    }

    public string StorageRoot { get; }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(StorageRoot, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail tests that already ran.
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
