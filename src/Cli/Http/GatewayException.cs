using System.Net;

namespace OutfitFinder.Cli.Http;

/// <summary>
/// The gateway answered, but not with what the call expects: an error status (usually with an
/// <c>application/problem+json</c> body), a body the CLI cannot read, or no answer in time.
/// </summary>
internal sealed class GatewayException(HttpStatusCode? status, string? reasonPhrase, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status, or null when the request never got one (timeout, broken connection).</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>
    /// The message with its status, for one-line reports:
    /// <c>Catalog 'shoes' exists with metric dot (HTTP 409 Conflict)</c>.
    /// </summary>
    public string Describe() =>
        Status is { } code ? $"{Message} (HTTP {(int)code} {reasonPhrase ?? code.ToString()})" : Message;
}

/// <summary>No connection to the gateway could be made: nothing else the command does can succeed.</summary>
internal sealed class GatewayUnreachableException(Uri gateway, Exception inner)
    : Exception(
        $"Gateway not reachable at {gateway} ({inner.Message}). "
        + "Is it running? Point the CLI at it with --gateway or OUTFIT_GATEWAY.",
        inner);
