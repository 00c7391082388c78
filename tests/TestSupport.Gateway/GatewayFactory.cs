using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OutfitFinder.Gateway.Hosting;

namespace OutfitFinder.TestSupport;

/// <summary>
/// The real gateway with its embedded silo and the real ResNet18 on CPU, on free ports and a storage folder of
/// its own. Pass the same folder to a second factory to model a restart. The folder outlives the factory: whoever
/// made the factory deletes <see cref="StorageRoot"/> when done with it.
/// </summary>
/// <remarks>
/// The entry-point type is <see cref="GatewayOptions"/>, not <c>Program</c>: a test project that also references
/// the CLI sees two <c>Program</c> types, and any public type of the gateway assembly locates its entry point.
/// </remarks>
public sealed class GatewayFactory : WebApplicationFactory<GatewayOptions>
{
    private readonly Dictionary<string, string?> _settings;

    /// <param name="storageRoot">The storage folder; null for a new temp folder.</param>
    /// <param name="overrides">Settings applied over the defaults below.</param>
    public GatewayFactory(string? storageRoot = null, IDictionary<string, string?>? overrides = null)
    {
        StorageRoot = storageRoot ?? Directory.CreateTempSubdirectory("outfit-gateway-").FullName;
        _settings = new Dictionary<string, string?>
        {
            ["Storage:Root"] = StorageRoot,
            ["Cluster:SiloPort"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            ["Extraction:Gpu"] = "false",
            ["Images:MaxBytes"] = (4 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["Images:MaxPixels"] = "16000000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string StorageRoot { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
