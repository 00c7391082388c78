using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OutfitFinder.Gateway.Tests;

/// <summary>Small typed helpers over the public REST API, as an outside client would call it.</summary>
internal static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task<HttpResponseMessage> CreateCatalogAsync(this HttpClient http, string catalog, object? body = null) =>
        http.PutAsJsonAsync($"/v1/catalogs/{catalog}", body ?? new { });

    public static Task<HttpResponseMessage> PutProductAsync(this HttpClient http, string catalog, string productId,
        IEnumerable<byte[]> images, string? category = null, string? metadata = null, string contentType = "image/jpeg")
    {
        var form = new MultipartFormDataContent();
        var n = 0;
        foreach (var image in images)
        {
            var part = new ByteArrayContent(image);
            part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            form.Add(part, "image", $"image{n++}.jpg");
        }

        if (category is not null)
        {
            form.Add(new StringContent(category), "category");
        }

        if (metadata is not null)
        {
            form.Add(new StringContent(metadata), "metadata");
        }

        return http.PutAsync($"/v1/catalogs/{catalog}/products/{Uri.EscapeDataString(productId)}", form);
    }

    public static Task<HttpResponseMessage> SearchByImageAsync(this HttpClient http, string catalog, byte[] image, string query = "k=20")
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(part, "image", "query.jpg");
        return http.PostAsync($"/v1/catalogs/{catalog}/search?{query}", form);
    }

    public static Task<HttpResponseMessage> SearchByVectorAsync(this HttpClient http, string catalog, float[] vector, int k, string? category = null) =>
        http.PostAsJsonAsync($"/v1/catalogs/{catalog}/search", new { vector, k, category });

    public static async Task<SearchBody> ReadSearchAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"search failed: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<SearchBody>(text, Json)!;
    }

    /// <summary>Asserts a problem-details response with the status and returns its detail.</summary>
    public static async Task<string> AssertProblemAsync(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        var detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        Assert.False(string.IsNullOrWhiteSpace(detail), $"problem without a reason: {text}");
        return detail!;
    }
}

internal sealed record SearchBody(List<SearchHitBody> Results, bool Partial, double TookMs, bool Stale = false, double LagMs = 0);

internal sealed record SearchHitBody(string ProductId, float Score, string? Category, int ImageIndex, JsonElement? Metadata);

internal sealed record CatalogBody(string Name, string Model, string Metric, int Dimension, int Shards, long Products, long Images, int Replicas = 1);

internal sealed record ProductBody(string ProductId, string? Category, JsonElement? Metadata, int Images);
