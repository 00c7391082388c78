using OutfitFinder.Core.Images;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Bench.Embedding;

/// <summary>
/// The images the embedding benchmark feeds the model: real phone photos of clothing from
/// <c>../shared/data/clothing/images</c> (next to the repository) when that folder exists, drawn
/// garments of the same size otherwise. <see cref="Source"/> says which, for the report.
/// </summary>
internal sealed class BenchPhotos : IDisposable
{
    /// <summary>The photo folder relative to the repository root.</summary>
    public static readonly string DefaultFolder = Path.Combine("..", "shared", "data", "clothing", "images");

    // Most photos in the clothing set are 400×533; drawn stand-ins use the same size so that
    // resizing costs the same.
    private const int DrawnWidth = 400;
    private const int DrawnHeight = 533;

    private BenchPhotos(IReadOnlyList<SKBitmap> images, string source, bool real)
    {
        Images = images;
        Source = source;
        Real = real;
    }

    /// <summary>Decoded, upright bitmaps, as the extractor receives them.</summary>
    public IReadOnlyList<SKBitmap> Images { get; }

    /// <summary>Where the images came from, in words.</summary>
    public string Source { get; }

    /// <summary>True for real photos, false for drawn stand-ins.</summary>
    public bool Real { get; }

    /// <summary>
    /// The first <paramref name="count"/> photos (by file name) of <paramref name="folder"/>, or of
    /// the default folder when null. If the default folder does not exist, says so on
    /// <paramref name="notice"/> and draws garments instead.
    /// </summary>
    public static BenchPhotos Load(int count, DirectoryInfo? folder, TextWriter notice)
    {
        var path = folder?.FullName ?? FindDefaultFolder();
        if (path is null)
        {
            notice.WriteLine(
                $"NOTE: clothing photos not found ({DefaultFolder} beside the repository root, searched from "
                + $"'{Environment.CurrentDirectory}' and '{AppContext.BaseDirectory}'). Using {count} drawn garments "
                + $"({DrawnWidth}×{DrawnHeight}, OutfitFinder.TestSupport) instead; pass --photos DIR to use other photos.");
            return Drawn(count);
        }

        var files = Directory.EnumerateFiles(path)
            .Where(file => file.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Take(count)
            .ToList();
        if (files.Count < count)
        {
            throw new InvalidDataException($"'{path}' holds {files.Count} JPEG photos; the benchmark needs {count}.");
        }

        var images = new List<SKBitmap>(count);
        foreach (var file in files)
        {
            images.Add(ImageDecoder.Decode(File.ReadAllBytes(file), ImageLimits.Default));
        }

        var sizes = images.Select(image => $"{image.Width}×{image.Height}").Distinct().Order(StringComparer.Ordinal);
        return new BenchPhotos(images, $"{count} real photos from {Path.GetFullPath(path)} ({string.Join(", ", sizes)})", real: true);
    }

    public void Dispose()
    {
        foreach (var image in Images)
        {
            image.Dispose();
        }
    }

    private static BenchPhotos Drawn(int count)
    {
        var images = GarmentCatalog.Generate(count, seed: 1)
            .Select(product => GarmentImages.Draw(product.Spec, DrawnWidth, DrawnHeight))
            .ToList();
        return new BenchPhotos(images, $"{count} drawn garments, {DrawnWidth}×{DrawnHeight} (clothing photos not found)", real: false);
    }

    /// <summary>
    /// Looks for the repository root (the folder holding <c>Cluster.sln</c>) above the working
    /// directory and above the program, so the benchmark finds the photos however it is started.
    /// </summary>
    public static string? FindDefaultFolder()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
                {
                    var candidate = Path.GetFullPath(Path.Combine(directory.FullName, DefaultFolder));
                    if (Directory.Exists(candidate))
                    {
                        return candidate;
                    }

                    break;
                }
            }
        }

        return null;
    }
}
