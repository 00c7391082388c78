using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OutfitFinder.Gateway.Hosting;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>
/// An embedded gateway with <c>Auth:Mode=Keys</c>, a bootstrap key holding every scope, one global
/// CORS origin, a small ingest bucket (so a burst meets it quickly) and a large admin one (setup is
/// not throttled). Tests make keys of their own.
/// Every log line it writes is kept in <see cref="Logs"/>.
/// </summary>
public sealed class KeysFixture : IAsyncLifetime
{
    private readonly GatewayFactory _root;

    public const string BootstrapKey = "ofk_admin.0123456789abcdef0123456789abcdef0123";

    public const string GlobalOrigin = "https://shop.example";

    public const int IngestBurst = 3;

    public KeysFixture()
    {
        _root = new GatewayFactory(overrides: new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "Keys",
            ["Auth:BootstrapKey"] = BootstrapKey,
            ["Auth:CorsOrigins:0"] = GlobalOrigin,
            ["Limits:Ingest:PerSecond"] = "1",
            ["Limits:Ingest:Burst"] = IngestBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The tests' setup (catalogs, keys) all goes through the bootstrap key: its admin rate is not under test.
            ["Limits:Admin:PerSecond"] = "10000",
            ["Limits:Admin:Burst"] = "10000",
        });
        Factory = _root.WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider(Logs))));
    }

    /// <summary>The gateway (the root factory's settings, plus the log capture).</summary>
    public WebApplicationFactory<GatewayOptions> Factory { get; }

    /// <summary>The gateway's storage folder.</summary>
    public string StorageRoot => _root.StorageRoot;

    /// <summary>Every log line the gateway wrote: category, then the formatted message.</summary>
    public ConcurrentQueue<(string Category, string Message)> Logs { get; } = new();

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
        await _root.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(string, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, logs);

        public void Dispose()
        {
        }

        private sealed class Capturing(string category, ConcurrentQueue<(string, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    logs.Enqueue((category, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
                }
            }
        }
    }
}
