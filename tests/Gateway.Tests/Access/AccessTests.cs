using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests.Access;

/// <summary>Catalog confinement, revocation, rate limits, quotas and CORS through the public API.</summary>
public sealed class AccessTests(KeysFixture fixture) : IClassFixture<KeysFixture>
{
    [Fact]
    public async Task ConfinedKey_CannotReadOrWriteAnotherCatalog()
    {
        foreach (var catalog in new[] { "acme-shoes", "acme-bags", "globex" })
        {
            (await fixture.Admin.CreateCatalogAsync(catalog, new { shards = 1 })).EnsureSuccessStatusCode();
        }

        var (listed, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "search", "write" }, catalogs = new[] { "acme-shoes" } });
        var (prefixed, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "search", "write" }, catalogPrefix = "acme-" });
        using var byList = fixture.Client(listed);
        using var byPrefix = fixture.Client(prefixed);
        var vector = new float[512];
        vector[0] = 1;

        Assert.Equal(HttpStatusCode.OK, (await byList.SearchByVectorAsync("acme-shoes", vector, 5)).StatusCode);
        Assert.Contains("may not use catalog 'acme-bags'", await (await byList.SearchByVectorAsync("acme-bags", vector, 5)).AssertProblemAsync(403));
        Assert.Contains("may not use catalog 'globex'", await (await byList.GetAsync("/v1/catalogs/globex")).AssertProblemAsync(403));
        await (await byList.PutProductAsync("globex", "p1", [Jpeg()])).AssertProblemAsync(403);
        await (await byList.DeleteAsync("/v1/catalogs/globex/products/p1")).AssertProblemAsync(403);

        Assert.Equal(HttpStatusCode.OK, (await byPrefix.SearchByVectorAsync("acme-bags", vector, 5)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await byPrefix.GetAsync("/v1/catalogs/acme-shoes")).StatusCode);
        await (await byPrefix.SearchByVectorAsync("globex", vector, 5)).AssertProblemAsync(403);
        await (await byPrefix.PutProductAsync("globex", "p1", [Jpeg()])).AssertProblemAsync(403);
    }

    [Fact]
    public async Task ListCatalogs_ShowsAConfinedKeyOnlyItsOwnCatalogs()
    {
        foreach (var catalog in new[] { "listed-a1", "listed-a2", "listed-b1" })
        {
            (await fixture.Admin.CreateCatalogAsync(catalog, new { shards = 1 })).EnsureSuccessStatusCode();
        }

        var (key, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "search" }, catalogPrefix = "listed-a" });
        using var http = fixture.Client(key);

        var names = await ListedAsync(http);
        var all = await ListedAsync(fixture.Admin);

        Assert.Equal(["listed-a1", "listed-a2"], names.Where(name => name.StartsWith("listed-", StringComparison.Ordinal)));
        Assert.DoesNotContain(names, name => !name.StartsWith("listed-a", StringComparison.Ordinal));
        Assert.Contains("listed-b1", all);
    }

    [Fact]
    public async Task ConfinedAdminKey_CannotCallClusterWideEndpoints()
    {
        var (key, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "admin" }, catalogPrefix = "acme-" });
        using var http = fixture.Client(key);

        Assert.Equal(HttpStatusCode.Created, (await http.CreateCatalogAsync("acme-new", new { shards = 1 })).StatusCode);
        Assert.Contains("every catalog", await (await http.GetAsync("/v1/cluster")).AssertProblemAsync(403));
        await (await http.GetAsync("/v1/keys")).AssertProblemAsync(403);
    }

    [Fact]
    public async Task RevokedKey_IsRefused_AndListedWithoutItsSecret()
    {
        var (key, id) = await fixture.CreateKeyAsync(new { name = "to revoke", scopes = new[] { "admin" } });
        using var http = fixture.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/cluster")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.DeleteAsync($"/v1/keys/{id}")).StatusCode);

        Assert.Contains("revoked", await (await http.GetAsync("/v1/cluster")).AssertProblemAsync(401));
        var listing = await fixture.Admin.GetStringAsync("/v1/keys");
        Assert.DoesNotContain(key.Split('.')[1], listing);
        using var keys = JsonDocument.Parse(listing);
        var revoked = keys.RootElement.EnumerateArray().Single(entry => entry.GetProperty("id").GetString() == id);
        Assert.Equal(JsonValueKind.String, revoked.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task KeyStorage_HoldsNoSecret()
    {
        var (key, id) = await fixture.CreateKeyAsync(new { scopes = new[] { "search" } });
        var stored = await File.ReadAllTextAsync(Path.Combine(fixture.StorageRoot, "access", "keys", $"{id}.json"));
        Assert.DoesNotContain(key.Split('.')[1], stored);
        Assert.DoesNotContain(KeysFixture.BootstrapKey.Split('.')[1], string.Concat(
            Directory.GetFiles(Path.Combine(fixture.StorageRoot, "access", "keys")).Select(File.ReadAllText)));
    }

    [Fact]
    public async Task Burst_Answers429WithRetryAfter_OncePerKeyBucketIsEmpty()
    {
        (await fixture.Admin.CreateCatalogAsync("bursty", new { shards = 1 })).EnsureSuccessStatusCode();
        var (key, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "ingest" } });
        var (other, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "ingest" } });
        using var http = fixture.Client(key);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < KeysFixture.IngestBurst * 4 && limited is null; i++)
        {
            var response = await http.GetAsync("/v1/catalogs/bursty/ingestions");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
        Assert.Contains("Limits:Ingest", await limited.AssertProblemAsync(429));
        Assert.All(statuses.Take(KeysFixture.IngestBurst), status => Assert.Equal(HttpStatusCode.OK, status));
        using var otherClient = fixture.Client(other);
        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync("/v1/catalogs/bursty/ingestions")).StatusCode);
    }

    [Fact]
    public async Task PutProduct_Answers409_WhenTheKeysQuotaIsReached()
    {
        (await fixture.Admin.CreateCatalogAsync("quota", new { shards = 2 })).EnsureSuccessStatusCode();
        var (key, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "write" }, maxProductsPerCatalog = 1 });
        using var http = fixture.Client(key);

        Assert.Equal(HttpStatusCode.Created, (await http.PutProductAsync("quota", "first", [Jpeg()])).StatusCode);
        var detail = await (await http.PutProductAsync("quota", "second", [Jpeg()])).AssertProblemAsync(409);
        Assert.Contains("quota is 1", detail);
        Assert.Equal(HttpStatusCode.OK, (await http.PutProductAsync("quota", "first", [Jpeg()])).StatusCode);
    }

    [Fact]
    public async Task Preflight_IsAnswered_ForGlobalAndKeyOrigins_AndNotForOthers()
    {
        var (key, _) = await fixture.CreateKeyAsync(new { scopes = new[] { "search" }, corsOrigins = new[] { "https://store.acme.example" } });
        using var http = fixture.Client(null);

        foreach (var origin in new[] { KeysFixture.GlobalOrigin, "https://store.acme.example" })
        {
            using var response = await http.SendAsync(Preflight(origin));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("x-api-key", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant());
        }

        using var stranger = await http.SendAsync(Preflight("https://evil.example"));
        Assert.False(stranger.Headers.Contains("Access-Control-Allow-Origin"));

        using var keyed = fixture.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/catalogs/nosuch");
        request.Headers.Add("Origin", "https://store.acme.example");
        using var actual = await keyed.SendAsync(request);
        Assert.Equal("https://store.acme.example", actual.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task OpenApi_DeclaresBothWaysToSendAKey_AndEachOperationsScope()
    {
        using var http = fixture.Client(null);
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var schemes = document.RootElement.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        var search = document.RootElement.GetProperty("paths").GetProperty("/v1/catalogs/{catalog}/search").GetProperty("post");
        Assert.Equal("search", search.GetProperty("security")[0].GetProperty("Bearer")[0].GetString());
        Assert.All(new[] { "401", "403", "429" }, status => Assert.True(search.GetProperty("responses").TryGetProperty(status, out _), status));
    }

    [Fact]
    public async Task CreateKey_Answers400WithAReason_ForAnUnknownScope()
    {
        using var response = await fixture.Admin.PostAsJsonAsync("/v1/keys", new { scopes = new[] { "root" } });
        Assert.Contains("'root'", await response.AssertProblemAsync(400));
    }

    [Fact]
    public async Task AuditLog_NamesKeyIdCatalogAndOutcome_AndNeverTheKey()
    {
        (await fixture.Admin.CreateCatalogAsync("audited", new { shards = 1 })).EnsureSuccessStatusCode();
        var (key, id) = await fixture.CreateKeyAsync(new { scopes = new[] { "write", "search" }, catalogs = new[] { "audited" } });
        using var http = fixture.Client(key);

        await (await http.DeleteAsync("/v1/catalogs/audited/products/missing")).AssertProblemAsync(404);
        await (await http.DeleteAsync("/v1/catalogs/globex/products/p1")).AssertProblemAsync(403);
        var vector = new float[512];
        vector[1] = 1;
        (await http.SearchByVectorAsync("audited", vector, 3)).EnsureSuccessStatusCode();

        var audit = fixture.Logs.Where(entry => entry.Category.EndsWith("AuditMiddleware", StringComparison.Ordinal)).Select(entry => entry.Message).ToList();
        Assert.Contains($"Audit: key {id} (write) DELETE /v1/catalogs/{{catalog}}/products/{{productId}} catalog audited → 404 refused", audit);
        Assert.Contains($"Audit: key {id} (write) DELETE /v1/catalogs/{{catalog}}/products/{{productId}} catalog globex → 403 refused", audit);
        Assert.Contains(audit, line => line.Contains("PUT /v1/catalogs/{catalog} catalog audited → 201 done", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, line => line.Contains($"key {id} (search)", StringComparison.Ordinal));
        var secret = key.Split('.')[1];
        Assert.DoesNotContain(fixture.Logs, entry => entry.Message.Contains(secret, StringComparison.Ordinal)
            || entry.Message.Contains(KeysFixture.BootstrapKey.Split('.')[1], StringComparison.Ordinal));
    }

    private static async Task<List<string>> ListedAsync(HttpClient http)
    {
        var names = new List<string>();
        string? after = null;
        do
        {
            using var page = JsonDocument.Parse(await http.GetStringAsync($"/v1/catalogs?limit=100{(after is null ? "" : "&after=" + after)}"));
            names.AddRange(page.RootElement.GetProperty("catalogs").EnumerateArray().Select(catalog => catalog.GetProperty("name").GetString()!));
            after = page.RootElement.GetProperty("next").GetString();
        }
        while (after is not null);
        return names;
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/catalogs/any/search");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        return request;
    }

    private static byte[] Jpeg()
    {
        using var bitmap = GarmentImages.Draw(GarmentCatalog.Generate(1, seed: 3)[0].Spec);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
    }
}
