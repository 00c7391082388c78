using System.Text;

namespace OutfitFinder.Cli.Training;

/// <summary>
/// Base-model vectors of images already embedded, kept in a file beside the head
/// (<c>HEAD.vectors</c>) so that training again with other settings skips the slow part. An entry
/// counts only while its image keeps the same path, length and modification time, and the whole
/// cache only for the same base model; an unreadable cache is ignored and rewritten.
/// </summary>
internal sealed class BaseVectorCache
{
    private const string Magic = "OFVC1";

    private readonly Dictionary<string, (long Length, long Ticks, float[] Vector)> _entries = new(StringComparer.Ordinal);

    private BaseVectorCache(string path, string model, int dimension)
    {
        Path = path;
        Model = model;
        Dimension = dimension;
    }

    public string Path { get; }

    public string Model { get; }

    public int Dimension { get; }

    public int Count => _entries.Count;

    /// <summary>The cache at <paramref name="path"/> for <paramref name="model"/>; empty when absent, unreadable or of another model.</summary>
    public static BaseVectorCache Open(string path, string model, int dimension)
    {
        var cache = new BaseVectorCache(path, model, dimension);
        if (!File.Exists(path))
        {
            return cache;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadString() != Magic || reader.ReadString() != model || reader.ReadInt32() != dimension)
            {
                return cache;
            }

            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var image = reader.ReadString();
                var length = reader.ReadInt64();
                var ticks = reader.ReadInt64();
                var vector = new float[dimension];
                for (var j = 0; j < dimension; j++)
                {
                    vector[j] = reader.ReadSingle();
                }

                cache._entries[image] = (length, ticks, vector);
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or UnauthorizedAccessException)
        {
            cache._entries.Clear();
        }

        return cache;
    }

    public bool TryGet(string image, out float[] vector)
    {
        var file = new FileInfo(image);
        if (_entries.TryGetValue(image, out var entry) && file.Exists && file.Length == entry.Length && file.LastWriteTimeUtc.Ticks == entry.Ticks)
        {
            vector = entry.Vector;
            return true;
        }

        vector = [];
        return false;
    }

    public void Add(string image, float[] vector)
    {
        var file = new FileInfo(image);
        _entries[image] = (file.Length, file.LastWriteTimeUtc.Ticks, vector);
    }

    /// <summary>Writes the cache whole, replacing the file only once the new one is complete.</summary>
    public void Save()
    {
        var temporary = Path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8))
        {
            writer.Write(Magic);
            writer.Write(Model);
            writer.Write(Dimension);
            writer.Write(_entries.Count);
            foreach (var (image, (length, ticks, vector)) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                writer.Write(image);
                writer.Write(length);
                writer.Write(ticks);
                foreach (var value in vector)
                {
                    writer.Write(value);
                }
            }
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
