using System.Text;
using SkiaSharp;

namespace OutfitFinder.TestSupport;

/// <summary>
/// A temporary ingestion source: generated garment photos under <c>images/</c> and manifests that
/// name them, deleted on dispose. Each product (ids from <see cref="GarmentCatalog"/>) has one JPEG shop image.
/// </summary>
public sealed class IngestionSourceFolder : IDisposable
{
    public IngestionSourceFolder(int products, int seed = 11)
    {
        Root = Directory.CreateTempSubdirectory("outfit-source-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, "images"));
        Products = GarmentCatalog.Generate(products, seed);
        foreach (var (productId, spec) in Products)
        {
            using var bitmap = GarmentImages.Draw(spec, 160, 160);
            var bytes = GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
            Images[productId] = bytes;
            File.WriteAllBytes(Path.Combine(Root, "images", productId + ".jpg"), bytes);
        }
    }

    public string Root { get; }

    public IReadOnlyList<(string ProductId, GarmentSpec Spec)> Products { get; }

    public Dictionary<string, byte[]> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes a CSV manifest with one row per product plus <paramref name="extraRows"/> (already formatted) at the end.</summary>
    public string WriteCsv(string name, params string[] extraRows)
    {
        var text = new StringBuilder("product_id,image,category,pattern\n");
        foreach (var (productId, spec) in Products)
        {
            text.Append($"{productId},images/{productId}.jpg,{spec.Category},{spec.Pattern}\n");
        }

        foreach (var row in extraRows)
        {
            text.Append(row).Append('\n');
        }

        return WriteFile(name, text.ToString());
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return name;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test that already ran.
        }
    }
}
