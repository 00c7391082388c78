using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Ingestion;

/// <summary>Rows of an ingestion manifest, read one at a time so a manifest of any size is never held whole.</summary>
public interface IManifestReader : IDisposable
{
    /// <summary>The data rows in manifest order. A bad row carries its problems; only an unreadable manifest throws <see cref="ManifestException"/>.</summary>
    IEnumerable<ManifestRow> ReadRows();
}

/// <summary>
/// Turns an image cell (or a <c>vector_file</c> cell, which is resolved the same way) into what the row carries, adding a
/// sentence to <paramref name="problems"/> when it is unusable; <paramref name="what"/> names the cell in that sentence.
/// </summary>
public delegate string ImageResolver(string image, List<string> problems, string what = "image");

/// <summary>The two ways a manifest names images and vector files: files beside it, or blobs of an ingestion source.</summary>
public static class ManifestImages
{
    /// <summary>Paths relative to <paramref name="baseDirectory"/>; a missing file makes the row bad.</summary>
    public static ImageResolver InFolder(string baseDirectory) => (image, problems, what) =>
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(Path.Combine(baseDirectory, image));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            problems.Add($"{what} path '{image}' is not valid");
            return "";
        }

        if (!File.Exists(fullPath))
        {
            problems.Add($"{what} '{image}' not found ({fullPath})");
        }

        return fullPath;
    };

    /// <summary>
    /// Blob paths inside a source, relative to the manifest's own folder there (<paramref name="manifestFolder"/>,
    /// empty for the source's root). A path may not step outside the source; whether the blob exists is
    /// found out when it is read.
    /// </summary>
    public static ImageResolver InSource(string manifestFolder) => (image, problems, what) =>
    {
        var path = manifestFolder.Length == 0 || image.StartsWith('/') ? image.TrimStart('/') : $"{manifestFolder}/{image}";
        try
        {
            BlobPath.Validate(path, nameof(image));
            return path;
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{what} path '{image}' is not valid: {ex.Message.Split(" (Parameter", 2)[0]}");
            return "";
        }
    };
}

/// <summary>Opens a manifest by its format: JSON Lines for <c>.jsonl</c> / <c>.ndjson</c>, CSV otherwise.</summary>
public static class Manifests
{
    public static bool IsJsonLines(string path) =>
        path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    /// <summary>A reader over <paramref name="text"/> (disposed with the reader).</summary>
    /// <exception cref="ManifestException">A CSV manifest's header is unusable.</exception>
    public static IManifestReader Open(TextReader text, string sourceName, ImageResolver resolveImage) =>
        IsJsonLines(sourceName) ? new JsonLinesManifestReader(text, resolveImage) : new ManifestReader(text, sourceName, resolveImage);

    /// <summary>A manifest file whose image paths are relative to its folder.</summary>
    /// <exception cref="ManifestException">The file cannot be opened or its header is unusable.</exception>
    public static IManifestReader OpenFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        StreamReader text;
        try
        {
            text = new StreamReader(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ManifestException($"The manifest {fullPath} could not be opened: {ex.Message}", ex);
        }

        try
        {
            return Open(text, fullPath, ManifestImages.InFolder(Path.GetDirectoryName(fullPath)!));
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }
}
