namespace OutfitFinder.Gateway.Tests.Access;

public sealed class AccessSettingsTests
{
    [Theory]
    [InlineData("Auth:Mode", "Sometimes", "Auth:Mode is 'Sometimes'; use None or Keys.")]
    [InlineData("Auth:CacheTtl", "00:00:00", "Auth:CacheTtl is 00:00:00; it must be positive and at most 00:10:00")]
    [InlineData("Auth:BootstrapKey", "letmein", "Auth:BootstrapKey is not a key")]
    [InlineData("Auth:CorsOrigins:0", "shop.example.com", "Auth:CorsOrigins has 'shop.example.com'; an origin is a scheme and host")]
    [InlineData("Limits:Write:PerSecond", "0", "Limits:Write:PerSecond is 0; it must be at least 1.")]
    [InlineData("Limits:ImageSearchConcurrency", "0", "Limits:ImageSearchConcurrency is 0; it must be at least 1.")]
    [InlineData("Limits:MaxProductsPerCatalog", "0", "Limits:MaxProductsPerCatalog is 0; it must be at least 1")]
    public void Gateway_RefusesToStart_WithTheSettingNamed_WhenAnAccessSettingIsInvalid(string setting, string value, string sentence)
    {
        using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { [setting] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(sentence, error.ToString());
        Directory.Delete(factory.StorageRoot, recursive: true);
    }
}
