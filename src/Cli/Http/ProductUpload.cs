using System.Text.Json;

namespace OutfitFinder.Cli.Http;

/// <summary>
/// What <c>PUT /v1/catalogs/{catalog}/products/{productId}</c> sends: the images in order (the
/// gateway numbers them 0, 1, …), the category, and metadata values that are JSON strings or numbers;
/// or, for a product given as vectors made elsewhere, one vector per image instead of the images.
/// </summary>
/// <param name="ProductId">The product's id as the manifest gives it.</param>
/// <param name="Category">Null when no row gives one.</param>
/// <param name="Metadata">JSON strings or numbers by field name.</param>
/// <param name="ImagePaths">Image files in row order; empty for a product given as vectors.</param>
/// <param name="Vectors">Each image's vector given inline, or null where <paramref name="VectorFiles"/> names its file; null for a product of photos.</param>
/// <param name="VectorFiles">Each image's vector file, or null where the vector is inline; null for a product of photos.</param>
internal sealed record ProductUpload(
    string ProductId,
    string? Category,
    IReadOnlyDictionary<string, JsonElement> Metadata,
    IReadOnlyList<string> ImagePaths,
    IReadOnlyList<float[]?>? Vectors = null,
    IReadOnlyList<OutfitFinder.Core.Ingestion.VectorFileRef?>? VectorFiles = null)
{
    /// <summary>The product is sent as JSON vectors, not photos.</summary>
    public bool GivesVectors => Vectors is not null;
}

/// <summary>What a successful <c>PUT</c> did on the gateway.</summary>
internal enum PutOutcome
{
    /// <summary>201: the resource is new.</summary>
    Created,

    /// <summary>200: the resource existed (same catalog settings, or a product that was replaced).</summary>
    Existed,
}
