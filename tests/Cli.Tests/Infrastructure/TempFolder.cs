namespace OutfitFinder.Cli.Tests.Infrastructure;

/// <summary>A fresh folder per test for manifests and images, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("outfit-cli-tests-").FullName;
    }

    public string Path { get; }

    /// <summary>Writes bytes to a path relative to the folder, creating subfolders; returns the full path.</summary>
    public string WriteBytes(string relativePath, byte[] content)
    {
        var fullPath = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        File.WriteAllBytes(fullPath, content);
        return fullPath;
    }

    public string WriteText(string relativePath, string content) =>
        WriteBytes(relativePath, System.Text.Encoding.UTF8.GetBytes(content));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the test that already ran.
        }
    }
}
