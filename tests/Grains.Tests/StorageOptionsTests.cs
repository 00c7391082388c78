using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Shards;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Tests;

public sealed class StorageOptionsTests
{
    [Fact]
    public void AddOutfitFinderStorage_UsesLocalFolder_ByDefault()
    {
        using var services = Build([]);

        var store = Assert.IsType<LocalFolderBlobStore>(services.GetRequiredService<IBlobStore>());

        Assert.Equal(Path.GetFullPath("./.outfit-data"), store.RootFolder);
    }

    [Fact]
    public void AddOutfitFinderStorage_UsesAzureContainer_WhenKindIsAzureBlob()
    {
        using var services = Build(new()
        {
            ["Storage:Kind"] = "AzureBlob",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Storage:Container"] = "shop-images",
        });

        var store = Assert.IsType<AzureBlobStore>(services.GetRequiredService<IBlobStore>());

        Assert.Equal("shop-images", store.Container.Name);
    }

    [Theory]
    [InlineData("", "Storage:ConnectionString must be set")]
    [InlineData("not a connection string", "Storage:ConnectionString is not an Azure Storage connection string")]
    public void Validate_NamesConnectionString_WhenItIsMissingOrMalformed(string connectionString, string expected)
    {
        var failure = Validate(new StorageOptions { Kind = StorageKind.AzureBlob, ConnectionString = connectionString });

        Assert.Contains(expected, failure);
        Assert.DoesNotContain("not a connection string", failure);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Shop")]
    [InlineData("shop--images")]
    [InlineData("-shop")]
    [InlineData("shop-")]
    [InlineData("shop_images")]
    [InlineData("shop\n")]
    public void Validate_NamesContainer_WhenNameIsNotAValidContainerName(string container)
    {
        var failure = Validate(new StorageOptions
        {
            Kind = StorageKind.AzureBlob,
            ConnectionString = "UseDevelopmentStorage=true",
            Container = container,
        });

        Assert.Contains($"Storage:Container is '{container}'", failure);
    }

    [Fact]
    public void Validate_NamesRoot_WhenFolderKindHasNoRoot()
    {
        Assert.Contains("Storage:Root must name a folder.", Validate(new StorageOptions { Root = " " }));
    }

    [Fact]
    public void Validate_Succeeds_WhenAzureSettingsAreComplete()
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions
        {
            Kind = StorageKind.AzureBlob,
            ConnectionString = "UseDevelopmentStorage=true",
            Container = "outfit-finder-2",
        });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Options_FailWithSettingName_WhenKindIsUnknown()
    {
        using var services = Build(new() { ["Storage:Kind"] = "Disk" });

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Equal("Storage:Kind is 'Disk'; use Folder or AzureBlob.", e.Message);
    }

    [Fact]
    public void AddOutfitFinderStorage_RegistersOneImageStore_OverTheBlobStore_WhenCalledTwice()
    {
        var configuration = new ConfigurationBuilder().Build();
        var collection = new ServiceCollection().AddOutfitFinderStorage(configuration).AddOutfitFinderStorage(configuration);
        using var services = collection.BuildServiceProvider();

        Assert.Single(collection, service => service.ServiceType == typeof(ProductImageStore));
        Assert.Single(collection, service => service.ServiceType == typeof(IBlobStore));
        Assert.NotNull(services.GetRequiredService<ProductImageStore>());
    }

    [Fact]
    public void ClusterValidator_Succeeds_WithTheDefaults()
    {
        Assert.True(new OutfitFinderClusterOptionsValidator().Validate(null, new OutfitFinderClusterOptions()).Succeeded);
    }

    [Fact]
    public void ClusterValidator_NamesEverySetting_WhenSeveralAreInvalid()
    {
        var result = new OutfitFinderClusterOptionsValidator().Validate(null, new OutfitFinderClusterOptions
        {
            Mode = (ClusterMode)7,
            Provider = (ClusterProvider)9,
            SiloPort = 70_000,
            GatewayPort = 70_000,
            ClusterId = "",
        });

        Assert.Equal(
        [
            "Cluster:Mode is '7'; use Embedded or Client.",
            "Cluster:Provider is '9'; use Localhost, Redis, AzureStorage or Kubernetes.",
            "Cluster:SiloPort is 70000; it must be between 1 and 65535.",
            "Cluster:GatewayPort is 70000; it must be between 1 and 65535.",
            "Cluster:SiloPort and Cluster:GatewayPort are both 70000; silos and clients each need a port of their own.",
            "Cluster:ClusterId is empty; silos with the same cluster id form one cluster, so it must be set.",
        ], result.Failures);
    }

    [Fact]
    public void ImageLimits_AreRegisteredOnce_AndValidated_WhenBothHostsAddThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Images:MaxBytes"] = "0" }).Build();
        using var services = new ServiceCollection().AddOptions()
            .AddOutfitFinderImageLimits(configuration).AddOutfitFinderImageLimits(configuration).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OutfitFinder.Core.Images.ImageLimits>>().Value);

        Assert.Equal("Images:MaxBytes is 0; it must be at least 1 byte.", e.Message);
    }

    private static string Validate(StorageOptions options)
    {
        var result = new StorageOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        return result.FailureMessage;
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddOutfitFinderStorage(configuration).BuildServiceProvider();
    }

    [Fact]
    public void CompactionValidator_NamesTheSetting_WhenALimitIsNotPositive()
    {
        var result = new ShardCompactionOptionsValidator().Validate(null, new ShardCompactionOptions { LogBytes = 0, LogRecords = -1, LogAppends = 50_000 });
        var defaults = new ShardCompactionOptionsValidator().Validate(null, new ShardCompactionOptions());

        Assert.True(result.Failed);
        Assert.Contains("Storage:Compaction:LogBytes is 0", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:Compaction:LogRecords is -1", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:Compaction:LogAppends is 50000; it must be between 1 and 49,000", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(defaults.Succeeded);
    }
}
