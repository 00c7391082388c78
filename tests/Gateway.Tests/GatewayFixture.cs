namespace OutfitFinder.Gateway.Tests;

/// <summary>An empty gateway shared by a test class; each test uses catalogs of its own.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayFactory Factory { get; } = new();
    public HttpClient Http { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Http = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        Directory.Delete(Factory.StorageRoot, recursive: true);
    }
}
