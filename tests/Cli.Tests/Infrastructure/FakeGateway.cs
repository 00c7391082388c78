using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace OutfitFinder.Cli.Tests.Infrastructure;

/// <summary>A request as the gateway would have received it: method, URL, content type and body bytes.</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? ContentType, byte[] Body)
{
    /// <summary>The request's <c>Authorization</c> header, or null when it had none.</summary>
    public string? Authorization { get; init; }

    /// <summary>Path and query as sent on the wire, escapes kept: <c>/v1/catalogs/a%20b?k=20</c>.</summary>
    public string PathAndQuery => Uri.PathAndQuery;

    public string BodyText => Encoding.UTF8.GetString(Body);

    public Task<IReadOnlyList<FormPart>> ReadFormAsync() => MultipartForm.ReadAsync(ContentType, Body);
}

/// <summary>
/// Stands in for the gateway: records every request (body included, read before the client disposes
/// it) and answers with whatever the test's responder returns. Safe for concurrent requests.
/// </summary>
internal sealed class FakeGateway(Func<RecordedRequest, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public FakeGateway(Func<RecordedRequest, HttpResponseMessage> respond)
        : this(request => Task.FromResult(respond(request)))
    {
    }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public HttpClient CreateClient() => new(this);

    /// <summary>A gateway that is not running: every request fails the way a refused TCP connect does.</summary>
    public static FakeGateway Refusing() => new(RefuseConnection);

    private static HttpResponseMessage RefuseConnection(RecordedRequest request) => throw new HttpRequestException(
        HttpRequestError.ConnectionError,
        $"Connection refused ({request.Uri.Authority})",
        new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));

    public static HttpResponseMessage Json(HttpStatusCode status, string json) => new(status)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage Problem(HttpStatusCode status, string? title, string? detail)
    {
        var fields = new List<string> { $"\"status\":{(int)status}" };
        if (title is not null)
        {
            fields.Add($"\"title\":\"{title}\"");
        }

        if (detail is not null)
        {
            fields.Add($"\"detail\":\"{detail}\"");
        }

        var content = new StringContent("{" + string.Join(",", fields) + "}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/problem+json");
        return new HttpResponseMessage(status) { Content = content };
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var recorded = new RecordedRequest(
            request.Method, request.RequestUri!, request.Content?.Headers.ContentType?.ToString(), body)
        {
            Authorization = request.Headers.Authorization?.ToString(),
        };
        _requests.Enqueue(recorded);
        // Like a real connection, stop waiting when the client gives up (its timeout, Ctrl+C).
        var response = await respond(recorded).WaitAsync(cancellationToken);
        response.RequestMessage = request;
        return response;
    }
}
