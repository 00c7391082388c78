using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>
/// An embedded gateway with <c>Auth:Mode=Keys</c>, a bootstrap key holding every scope, one global
/// CORS origin and a small ingest bucket (so a burst meets it quickly). Tests make keys of their own.
/// </summary>
public sealed class KeysFixture : IAsyncLifetime
{
    public const string BootstrapKey = "ofk_admin.0123456789abcdef0123456789abcdef0123";

    public const string GlobalOrigin = "https://shop.example";

    public const int IngestBurst = 3;

    public GatewayFactory Factory { get; } = new(overrides: new Dictionary<string, string?>
    {
        ["Auth:Mode"] = "Keys",
        ["Auth:BootstrapKey"] = BootstrapKey,
        ["Auth:CorsOrigins:0"] = GlobalOrigin,
        ["Limits:Ingest:PerSecond"] = "1",
        ["Limits:Ingest:Burst"] = IngestBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    /// <summary>A client carrying the bootstrap key.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Admin = Client(BootstrapKey);
        return Task.CompletedTask;
    }

    /// <summary>A client that sends <paramref name="key"/> as a bearer token, or nothing when null.</summary>
    public HttpClient Client(string? key)
    {
        var http = Factory.CreateClient();
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    /// <summary>Creates a key through the API and returns its text and id.</summary>
    public async Task<(string Key, string Id)> CreateKeyAsync(object body)
    {
        using var response = await Admin.PostAsJsonAsync("/v1/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"creating a key failed: {(int)response.StatusCode} {text}");
        using var created = JsonDocument.Parse(text);
        return (created.RootElement.GetProperty("key").GetString()!, created.RootElement.GetProperty("info").GetProperty("id").GetString()!);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
        Directory.Delete(Factory.StorageRoot, recursive: true);
    }
}
