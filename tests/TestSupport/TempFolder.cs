namespace OutfitFinder.TestSupport;

/// <summary>A fresh folder of the test's own under the system temp folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <param name="prefix">Start of the folder's name, so a leftover one says which tests made it.</param>
    public TempFolder(string prefix = "outfitfinder-tests-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
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

    /// <summary>Writes UTF-8 text to a path relative to the folder, creating subfolders; returns the full path.</summary>
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
            // Best effort: a leftover temp folder must not fail a test that already ran; others own their own.
        }
    }
}
