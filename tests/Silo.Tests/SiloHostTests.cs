using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OutfitFinder.Grains.Hosting;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Silo.Tests;

public sealed class SiloHostTests
{
    private sealed class SiloFactory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }


    private static Dictionary<string, string?> Settings(string gpu) => new()
    {
        ["Storage:Root"] = Directory.CreateTempSubdirectory("outfit-silo-").FullName,
        ["Cluster:SiloPort"] = FreePorts.Next().ToString(),
        ["Cluster:GatewayPort"] = FreePorts.Next().ToString(),
        ["Extraction:Gpu"] = gpu,
    };

    [Theory]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    public async Task Silo_StartsAndAdvertisesItsGpuSetting(string setting, string advertised)
    {
        await using var factory = new SiloFactory(Settings(setting));
        using var http = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var silo = factory.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var cache = factory.Services.GetRequiredService<ISiloMetadataCache>();

        // The cache learns every silo's metadata, its own included, from membership shortly after start.
        string? gpu = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); gpu is null && DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            gpu = cache.GetSiloMetadata(silo).Metadata.GetValueOrDefault("gpu");
        }

        Assert.Equal(advertised, gpu);
    }

    [Fact]
    public void Silo_RefusesToStart_WithAnUnknownGpuSetting()
    {
        using var factory = new SiloFactory(Settings("maybe"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Extraction:Gpu", error.ToString());
    }

    [SkippableFact]
    public void GpuDetector_SaysNoGpu_OnAMachineWithoutTheCudaDriver()
    {
        var driverPresent = File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1") || File.Exists("/usr/lib64/libcuda.so.1");
        Skip.If(driverPresent, "this machine has an NVIDIA driver");

        Assert.False(GpuDetector.IsGpuAdvertised("auto"));
        Assert.True(GpuDetector.IsGpuAdvertised(" TRUE "));
    }
}
