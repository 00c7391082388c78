using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OutfitFinder.Cli.Http;

/// <summary>
/// Typed client of the gateway's REST API. Error statuses become <see cref="GatewayException"/>
/// carrying the problem details' <c>detail</c> (or <c>title</c>); failing to connect at all becomes
/// <see cref="GatewayUnreachableException"/>. Safe for concurrent calls.
/// </summary>
/// <param name="http">Shared client; its <c>BaseAddress</c> is ignored, every request is absolute.</param>
/// <param name="gateway">Root of the gateway, e.g. <c>http://localhost:5080</c>; may carry a path prefix.</param>
/// <param name="apiKey">Sent as <c>Authorization: Bearer …</c> on every request; null sends none (a gateway with <c>Auth:Mode=None</c>).</param>
internal sealed class GatewayClient(HttpClient http, Uri gateway, string? apiKey = null)
{
    // A trailing slash makes relative paths extend a prefix ("http://h/outfit/" + "v1/…") instead of replacing it.
    private readonly Uri _root = gateway.AbsoluteUri.EndsWith('/') ? gateway : new Uri(gateway.AbsoluteUri + "/");

    public Uri Gateway => _root;

    /// <summary><c>PUT /v1/catalogs/{catalog}</c>: 201 → <see cref="PutOutcome.Created"/>, 200 → <see cref="PutOutcome.Existed"/>.</summary>
    public async Task<PutOutcome> PutCatalogAsync(string catalog, CatalogSettings settings, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(settings, GatewayJsonContext.Default.CatalogSettings);
        using var response = await SendAsync(HttpMethod.Put, CatalogPath(catalog), content, cancellationToken);
        return await PutOutcomeAsync(response, cancellationToken);
    }

    /// <summary><c>GET /v1/catalogs/{catalog}</c>.</summary>
    public async Task<CatalogInfo> GetCatalogAsync(string catalog, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, CatalogPath(catalog), content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var (info, _) = await ReadJsonAsync(response, GatewayJsonContext.Default.CatalogInfo, cancellationToken);
        return info;
    }

    /// <summary><c>POST /v1/catalogs/{catalog}/ingestions</c>: starts a server-side job (or finds the one with the same id).</summary>
    public async Task<IngestionInfo> StartIngestionAsync(string catalog, StartIngestionBody body, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(body, GatewayJsonContext.Default.StartIngestionBody);
        using var response = await SendAsync(HttpMethod.Post, CatalogPath(catalog) + "/ingestions", content, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await ReadJsonAsync(response, GatewayJsonContext.Default.IngestionInfo, cancellationToken)).Value;
    }

    /// <summary><c>GET /v1/catalogs/{catalog}/ingestions/{id}</c>.</summary>
    public async Task<IngestionInfo> GetIngestionAsync(string catalog, string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, CatalogPath(catalog) + "/ingestions/" + Uri.EscapeDataString(id), null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await ReadJsonAsync(response, GatewayJsonContext.Default.IngestionInfo, cancellationToken)).Value;
    }

    /// <summary>
    /// <c>PUT /v1/catalogs/{catalog}/products/{productId}</c> as multipart/form-data: one <c>image</c>
    /// file part per image in order, then <c>category</c> and <c>metadata</c> (a JSON object) when present.
    /// Image files are streamed from disk, not buffered.
    /// </summary>
    public async Task<PutOutcome> PutProductAsync(string catalog, ProductUpload product, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        foreach (var imagePath in product.ImagePaths)
        {
            form.Add(ImagePart(imagePath));
        }

        if (!string.IsNullOrEmpty(product.Category))
        {
            form.Add(FieldPart("category", product.Category));
        }

        if (product.Metadata.Count > 0)
        {
            form.Add(FieldPart("metadata", MetadataJson(product.Metadata)));
        }

        var path = $"{CatalogPath(catalog)}/products/{Uri.EscapeDataString(product.ProductId)}";
        using var response = await SendAsync(HttpMethod.Put, path, form, cancellationToken);
        return await PutOutcomeAsync(response, cancellationToken);
    }

    /// <summary>
    /// <c>PUT /v1/catalogs/{catalog}/products/{productId}</c> as JSON: one vector per image made elsewhere, the category and
    /// metadata; the gateway checks each vector's length against the catalog's dimension.
    /// </summary>
    public async Task<PutOutcome> PutProductVectorsAsync(string catalog, string productId, ProductVectorsBody body, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(body, GatewayJsonContext.Default.ProductVectorsBody);
        using var response = await SendAsync(HttpMethod.Put, $"{CatalogPath(catalog)}/products/{Uri.EscapeDataString(productId)}", content, cancellationToken);
        return await PutOutcomeAsync(response, cancellationToken);
    }

    /// <summary>
    /// <c>POST /v1/catalogs/{catalog}/search?k=…&amp;category=…&amp;localise=…</c> with the photo as the <c>image</c> part
    /// and, when given, the crop box (<c>x,y,w,h</c>) as the <c>box</c> field; a null <paramref name="localise"/> leaves
    /// the choice to the catalog. Returns the parsed response and its body exactly as received, for <c>--json</c>.
    /// </summary>
    public async Task<(SearchResponse Response, string Json)> SearchAsync(
        string catalog, string photoPath, int k, string? category, CancellationToken cancellationToken, string? box = null, string? localise = null)
    {
        var query = new StringBuilder($"?k={k.ToString(CultureInfo.InvariantCulture)}");
        if (!string.IsNullOrEmpty(category))
        {
            query.Append("&category=").Append(Uri.EscapeDataString(category));
        }

        if (!string.IsNullOrEmpty(localise))
        {
            query.Append("&localise=").Append(Uri.EscapeDataString(localise));
        }

        using var form = new MultipartFormDataContent { ImagePart(photoPath) };
        if (box is not null)
        {
            form.Add(new StringContent(box), "box");
        }

        using var response = await SendAsync(HttpMethod.Post, $"{CatalogPath(catalog)}/search{query}", form, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await ReadJsonAsync(response, GatewayJsonContext.Default.SearchResponse, cancellationToken);
    }

    /// <summary><c>GET /v1/catalogs/{catalog}/vectors?max=N</c>: an evenly spread sample of products with one vector each.</summary>
    public async Task<VectorSample> GetVectorsAsync(string catalog, int max, CancellationToken cancellationToken)
    {
        var path = $"{CatalogPath(catalog)}/vectors?max={max.ToString(CultureInfo.InvariantCulture)}";
        using var response = await SendAsync(HttpMethod.Get, path, content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var (sample, _) = await ReadJsonAsync(response, GatewayJsonContext.Default.VectorSample, cancellationToken);
        return sample;
    }

    /// <summary><c>POST /v1/keys</c>: the new key (its text shown this once) and what it may do.</summary>
    public async Task<CreatedKey> CreateKeyAsync(CreateKeyBody body, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(body, GatewayJsonContext.Default.CreateKeyBody);
        using var response = await SendAsync(HttpMethod.Post, "v1/keys", content, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await ReadJsonAsync(response, GatewayJsonContext.Default.CreatedKey, cancellationToken)).Value;
    }

    /// <summary><c>GET /v1/keys</c>: every key, revoked ones included; never a secret.</summary>
    public async Task<IReadOnlyList<KeyInfo>> ListKeysAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "v1/keys", content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await ReadJsonAsync(response, GatewayJsonContext.Default.KeyInfoArray, cancellationToken)).Value;
    }

    /// <summary><c>DELETE /v1/keys/{id}</c>: revokes the key.</summary>
    public async Task<KeyInfo> RevokeKeyAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, "v1/keys/" + Uri.EscapeDataString(id), content: null, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await ReadJsonAsync(response, GatewayJsonContext.Default.KeyInfo, cancellationToken)).Value;
    }

    /// <summary>Serialises metadata compactly in the dictionary's order, e.g. <c>{"color":"red","price":19.9}</c>.</summary>
    internal static string MetadataJson(IReadOnlyDictionary<string, JsonElement> metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in metadata)
            {
                writer.WritePropertyName(key);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string CatalogPath(string catalog) => $"v1/catalogs/{Uri.EscapeDataString(catalog)}";

    private static StreamContent ImagePart(string path)
    {
        // FileShare.Read: several uploads may read the same image (a photo shared by two products).
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 81920, useAsync: true);
        var part = new StreamContent(stream);
        part.Headers.ContentType = new MediaTypeHeaderValue(ImageMediaType(path));
        part.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data")
        {
            Name = "\"image\"",
            FileName = Quote(Path.GetFileName(path)),
        };
        return part;
    }

    private static StringContent FieldPart(string name, string value)
    {
        var part = new StringContent(value, Encoding.UTF8);
        part.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = Quote(name) };
        return part;
    }

    private static string Quote(string value) => $"\"{value.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";

    private static string ImageMediaType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".gif" => "image/gif",
        ".bmp" => "image/bmp",
        _ => "application/octet-stream",
    };

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string relativePath, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_root, relativePath)) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("application/problem+json");
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey.Trim());
        }

        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError
            or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            throw new GatewayUnreachableException(_root, ex);
        }
        catch (HttpRequestException ex)
        {
            // HttpRequestException's own message is generic ("An error occurred while sending the
            // request"); the inner one says what happened ("Connection reset by peer").
            var cause = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new GatewayException(null, null, $"Request to the gateway failed: {cause}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient reports its own timeout as a cancellation the caller did not ask for.
            throw new GatewayException(
                null, null, $"The gateway did not answer within {http.Timeout.TotalSeconds:0.###} s.", ex);
        }
    }

    private static async Task<PutOutcome> PutOutcomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        return response.StatusCode == HttpStatusCode.Created ? PutOutcome.Created : PutOutcome.Existed;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new GatewayException(response.StatusCode, response.ReasonPhrase, ProblemMessage(response, body));
    }

    /// <summary>The problem's detail, else its title, else a short plain-text body; <see cref="GatewayException.Describe"/> adds the status.</summary>
    private static string ProblemMessage(HttpResponseMessage response, string body)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase) && body.Length > 0)
        {
            try
            {
                var problem = JsonSerializer.Deserialize(body, GatewayJsonContext.Default.ProblemBody);
                var message = !string.IsNullOrWhiteSpace(problem?.Detail) ? problem.Detail : problem?.Title;
                if (!string.IsNullOrWhiteSpace(message))
                {
                    return message;
                }
            }
            catch (JsonException)
            {
                // Not a problem document after all; fall through to the status line.
            }
        }
        else if (mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(body))
        {
            // A proxy in front of the gateway may answer in plain text; a line of it beats a bare status.
            var text = body.Trim();
            return text.Length <= 200 ? text : text[..200] + "…";
        }

        return "The gateway gave no reason.";
    }

    private static async Task<(T Value, string Json)> ReadJsonAsync<T>(
        HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var value = JsonSerializer.Deserialize(json, typeInfo)
                ?? throw new JsonException("The body is the JSON literal null.");
            return (value, json);
        }
        catch (JsonException ex)
        {
            throw new GatewayException(
                response.StatusCode, response.ReasonPhrase, $"The gateway's response could not be read: {ex.Message}", ex);
        }
    }
}
