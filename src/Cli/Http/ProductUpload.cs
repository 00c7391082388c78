using System.Text.Json;

namespace OutfitFinder.Cli.Http;

/// <summary>
/// What <c>PUT /v1/catalogs/{catalog}/products/{productId}</c> sends: the images in order (the
/// gateway numbers them 0, 1, …), the category, and metadata values that are JSON strings or numbers.
/// </summary>
internal sealed record ProductUpload(
    string ProductId,
    string? Category,
    IReadOnlyDictionary<string, JsonElement> Metadata,
    IReadOnlyList<string> ImagePaths);

/// <summary>What a successful <c>PUT</c> did on the gateway.</summary>
internal enum PutOutcome
{
    /// <summary>201: the resource is new.</summary>
    Created,

    /// <summary>200: the resource existed (same catalog settings, or a product that was replaced).</summary>
    Existed,
}
