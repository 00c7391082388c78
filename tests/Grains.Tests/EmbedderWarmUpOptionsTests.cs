using Microsoft.Extensions.Configuration;
using OutfitFinder.Grains.Extraction;

namespace OutfitFinder.Grains.Tests;

public sealed class EmbedderWarmUpOptionsTests
{
    [Fact]
    public void Models_AreResNet18AndTheNewCatalogDefault_WhenNothingIsConfigured()
    {
        Assert.Equal(["resnet18", "resnet18-rmac-street"], Bind([]).Models());
    }

    [Fact]
    public void Models_AreOnlyTheConfiguredOnes_WhenAListIsConfigured()
    {
        var options = Bind(new() { ["Extraction:Preload:0"] = "whitebox", ["Extraction:Preload:1"] = "resnet18+street" });

        Assert.Equal(["whitebox", "resnet18+street"], options.Models());
    }

    private static EmbedderWarmUpOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new EmbedderWarmUpOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Extraction").Bind(options);
        return options;
    }
}
