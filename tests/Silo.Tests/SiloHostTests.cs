using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
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

        Assert.Contains("Extraction:Gpu is 'maybe'; use auto, true or false.", error.ToString());
    }

    [Theory]
    [InlineData("Cluster:Provider", "Consul", "Cluster:Provider is 'Consul'; use Localhost, Redis, AzureStorage or Kubernetes.")]
    [InlineData("Cluster:AdvertisedIP", "silo-1.local", "Cluster:AdvertisedIP is 'silo-1.local'; use the IP address other machines reach this silo on, such as 10.0.0.5.")]
    [InlineData("Cluster:AdvertisedIP", "0.0.0.0", "Cluster:AdvertisedIP is '0.0.0.0'; use the IP address other machines reach this silo on, such as 10.0.0.5.")]
    [InlineData("Cluster:Mode", "Remote", "Cluster:Mode is 'Remote'; use Embedded or Client.")]
    [InlineData("Cluster:SiloPort", "0", "Cluster:SiloPort is 0; it must be between 1 and 65535.")]
    [InlineData("Cluster:GatewayPort", "65536", "Cluster:GatewayPort is 65536; it must be between 1 and 65535.")]
    [InlineData("Cluster:ClusterId", "", "Cluster:ClusterId is empty; silos with the same cluster id form one cluster, so it must be set.")]
    [InlineData("Cluster:ServiceId", " ", "Cluster:ServiceId is empty; it identifies the service across deployments, so it must be set.")]
    [InlineData("Extraction:Onnx:ExecutionProvider", "Gpu", "Extraction:Onnx:ExecutionProvider is 'Gpu'; use Auto, Cuda or Cpu.")]
    [InlineData("Extraction:Batching:MaxBatchSize", "0", "Extraction:Batching:MaxBatchSize must be 1 or more, not 0.")]
    [InlineData("Images:MaxBytes", "0", "Images:MaxBytes is 0; it must be at least 1 byte.")]
    [InlineData("Images:MaxPixels", "-1", "Images:MaxPixels is -1; it must be at least 1 pixel.")]
    [InlineData("Storage:Kind", "Disk", "Storage:Kind is 'Disk'; use Folder or AzureBlob.")]
    public void Silo_RefusesToStart_WithTheSettingNamed_WhenASettingIsInvalid(string setting, string value, string sentence)
    {
        var settings = Settings("false");
        settings[setting] = value;
        using var factory = new SiloFactory(settings);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(sentence, error.ToString());
    }

    [Theory]
    [InlineData("Redis", "Cluster:Redis:ConnectionString is empty; the Redis provider needs the Redis server's address, such as redis.internal:6379.")]
    [InlineData("AzureStorage", "Cluster:AzureStorage:ConnectionString is empty; the AzureStorage provider needs the storage account's connection string.")]
    [InlineData("Kubernetes", "Cluster:Kubernetes:Membership is ''; use Redis or AzureStorage: Kubernetes hosting does not keep membership itself.")]
    public void Silo_RefusesToStart_WhenAClusteredProviderMissesItsStore(string provider, string sentence)
    {
        var settings = Settings("false");
        settings["Cluster:Provider"] = provider;
        using var factory = new SiloFactory(settings);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(sentence, error.ToString());
    }

    [Fact]
    public void Silo_RefusesToStart_WhenTheMembershipTableNameIsNotAnAzureTableName()
    {
        var settings = Settings("false");
        settings["Cluster:Provider"] = "AzureStorage";
        settings["Cluster:AzureStorage:ConnectionString"] = "UseDevelopmentStorage=true";
        settings["Cluster:AzureStorage:TableName"] = "silo-table";
        using var factory = new SiloFactory(settings);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Cluster:AzureStorage:TableName is 'silo-table'; use 3 to 63 letters and digits, starting with a letter.", error.ToString());
    }

    [Fact]
    public void Silo_RefusesToStart_WhenSiloAndGatewayPortsAreTheSame()
    {
        var settings = Settings("false");
        settings["Cluster:GatewayPort"] = settings["Cluster:SiloPort"];
        using var factory = new SiloFactory(settings);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains($"Cluster:SiloPort and Cluster:GatewayPort are both {settings["Cluster:SiloPort"]}; silos and clients each need a port of their own.", error.ToString());
    }

    [Fact]
    public async Task Silo_LogsOrleansAndAspNetCoreAtWarning_UnlessConfiguredOtherwise()
    {
        var settings = Settings("false");
        settings["Logging:LogLevel:Orleans"] = "Information";
        await using var factory = new SiloFactory(settings);
        using var http = factory.CreateClient();

        var configuration = factory.Services.GetRequiredService<IConfiguration>();

        Assert.Equal("Warning", configuration["Logging:LogLevel:Microsoft.AspNetCore"]);
        Assert.Equal("Information", configuration["Logging:LogLevel:Default"]);
        Assert.Equal("Information", configuration["Logging:LogLevel:Orleans"]);
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
