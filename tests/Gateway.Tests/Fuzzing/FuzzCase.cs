namespace OutfitFinder.Gateway.Tests.Fuzzing;

/// <summary>What a fuzz case may be answered with.</summary>
public enum Expect
{
    /// <summary>A 2xx or a 4xx: the input may be valid after all (a bit flip in pixel data still decodes).</summary>
    AcceptOrReject,

    /// <summary>Only a 4xx (or a closed connection for a request Kestrel cannot parse): the input is wrong by construction.</summary>
    Reject,
}

/// <summary>
/// One request the fuzzer sends: either an HTTP request built fresh on each send, or raw bytes
/// written to a socket for what <see cref="HttpClient"/> refuses to produce (broken framing).
/// </summary>
/// <param name="Kind">The family of mutation, for the report ("bit-flip", "path-trick", …).</param>
/// <param name="Describe">What exactly was sent, for a failure message.</param>
/// <param name="Expect">Which answers are right.</param>
/// <param name="Request">The request, or null for a raw case.</param>
/// <param name="Raw">Bytes for the socket, or null for an HTTP case.</param>
/// <param name="Image">For a product write: the image bytes sent, to compare with what is read back.</param>
public sealed record FuzzCase(string Kind, string Describe, Expect Expect, Func<HttpRequestMessage>? Request, byte[]? Raw = null, byte[]? Image = null);

/// <summary>An accepted product write, read back once the run ends.</summary>
public sealed record AcceptedWrite(string Catalog, string ProductId, byte[] Image, string Describe);
