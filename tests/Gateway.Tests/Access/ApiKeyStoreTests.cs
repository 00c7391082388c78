using Microsoft.Extensions.Options;
using OutfitFinder.Core.Storage;
using OutfitFinder.Gateway.Access;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>Two stores over one folder stand for two gateways of a cluster sharing its storage.</summary>
public sealed class ApiKeyStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ManualClock _clock = new();

    [Fact]
    public async Task RevokeAsync_ReachesAnotherGateway_WithinTheCacheTtl()
    {
        var (first, second) = (Store(), Store());
        var (record, key) = await first.CreateAsync(new ApiKeySpec("shop", [ApiScope.Search]), CancellationToken.None);
        Assert.NotNull((await second.VerifyAsync(key, CancellationToken.None)).Record);

        await first.RevokeAsync(record.Id, CancellationToken.None);
        Assert.Contains("revoked", (await first.VerifyAsync(key, CancellationToken.None)).Failure);

        _clock.Advance(TimeSpan.FromSeconds(5.1));
        var (stillValid, failure) = await second.VerifyAsync(key, CancellationToken.None);
        Assert.Null(stillValid);
        Assert.Contains("revoked", failure);
    }

    [Fact]
    public async Task VerifyAsync_RefusesAWrongSecret_ForAKnownId()
    {
        var store = Store();
        var (record, key) = await store.CreateAsync(new ApiKeySpec(null, [ApiScope.Write]), CancellationToken.None);
        var forged = ApiKeySecret.Format(record.Id, new string('x', 43));

        Assert.NotNull((await store.VerifyAsync(key, CancellationToken.None)).Record);
        Assert.Null((await store.VerifyAsync(forged, CancellationToken.None)).Record);
    }

    [Fact]
    public async Task EnsureBootstrapAsync_DoesNotRestoreARevokedKey()
    {
        var store = Store();
        const string bootstrap = "ofk_boot.abcdefghijklmnopqrstuvwxyz0123456789";
        Assert.True(await store.EnsureBootstrapAsync(bootstrap, CancellationToken.None));
        await store.RevokeAsync("boot", CancellationToken.None);

        Assert.False(await Store().EnsureBootstrapAsync(bootstrap, CancellationToken.None));
        Assert.Null((await Store().VerifyAsync(bootstrap, CancellationToken.None)).Record);
    }

    public void Dispose() => _folder.Dispose();

    private ApiKeyStore Store() =>
        new(new LocalFolderBlobStore(_folder.Path), Options.Create(new AuthOptions { CacheTtl = TimeSpan.FromSeconds(5) }), _clock);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
