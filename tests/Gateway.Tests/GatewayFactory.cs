using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The real gateway with its embedded silo and the real ResNet18 on CPU, on free ports and a
/// storage folder of its own. Pass the same folder to a second factory to model a restart.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public GatewayFactory(string? storageRoot = null, IDictionary<string, string?>? overrides = null)
    {
        StorageRoot = storageRoot ?? Directory.CreateTempSubdirectory("outfit-gateway-").FullName;
        settings = new Dictionary<string, string?>
        {
            ["Storage:Root"] = StorageRoot,
            ["Cluster:SiloPort"] = FreePorts.Next().ToString(),
            ["Cluster:GatewayPort"] = FreePorts.Next().ToString(),
            ["Extraction:Gpu"] = "false",
            ["Images:MaxBytes"] = (4 * 1024 * 1024).ToString(),
            ["Images:MaxPixels"] = "16000000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string StorageRoot { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

}
