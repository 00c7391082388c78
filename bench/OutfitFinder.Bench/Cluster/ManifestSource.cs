using System.Text;

namespace OutfitFinder.Bench.Cluster;

/// <summary>
/// A temporary ingestion source for the cluster benchmarks: product <c>p{i}</c>'s one image under <c>images/</c> and a
/// <c>catalog.csv</c> manifest naming them, read by every silo as the source called <c>local</c>. Deleted on dispose.
/// </summary>
internal sealed class ManifestSource : IDisposable
{
    public const string Manifest = "catalog.csv";

    /// <summary>Writes one image per product: <paramref name="image"/> gives product i's bytes.</summary>
    public ManifestSource(int products, string extension, Func<int, byte[]> image)
    {
        Directory.CreateDirectory(Path.Combine(Folder, "images"));
        var manifest = new StringBuilder("product_id,image\n");
        for (var i = 0; i < products; i++)
        {
            File.WriteAllBytes(Path.Combine(Folder, "images", $"p{i}.{extension}"), image(i));
            manifest.Append($"p{i},images/p{i}.{extension}\n");
        }

        File.WriteAllText(Path.Combine(Folder, Manifest), manifest.ToString());
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("outfit-bench-source-").FullName;

    /// <summary>The silo settings that name this folder as the ingestion source <c>local</c>.</summary>
    public string SiloArgs => $"--Ingestion:Sources:local:Kind=Folder --Ingestion:Sources:local:Path={Folder}";

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
