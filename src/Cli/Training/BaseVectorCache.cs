using System.Text;

namespace OutfitFinder.Cli.Training;

/// <summary>
/// Base-model vectors of images already embedded, kept in a file (beside the head as
/// <c>HEAD.vectors</c>, or in a shared cache folder) so that training again with other settings skips
/// the slow part. An entry is the whole photo's vector, or the vectors of every region a localisation
/// plan cuts from it (see <see cref="Core.Localisation.QueryRegions"/>), one row each. An entry counts
/// only while its image keeps the same path, length and modification time, and the whole cache only
/// for the same base model; an unreadable cache, or one of the older one-row-per-image format, is
/// ignored and rewritten.
/// </summary>
internal sealed class BaseVectorCache
{
    private const string Magic = "OFVC2";

    /// <summary>Separates an image path from its localisation in an entry's key: <c>photo.jpg|thorough</c>.</summary>
    private const char RegionSeparator = '|';

    private readonly Dictionary<string, (long Length, long Ticks, float[] Rows)> _entries = new(StringComparer.Ordinal);

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
                var key = reader.ReadString();
                var length = reader.ReadInt64();
                var ticks = reader.ReadInt64();
                var rows = reader.ReadInt32();
                if (rows is < 1 or > 1024)
                {
                    throw new IOException($"Entry '{key}' claims {rows} rows.");
                }

                var vectors = new float[rows * dimension];
                for (var j = 0; j < vectors.Length; j++)
                {
                    vectors[j] = reader.ReadSingle();
                }

                cache._entries[key] = (length, ticks, vectors);
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or UnauthorizedAccessException)
        {
            cache._entries.Clear();
        }

        return cache;
    }

    /// <summary>The whole photo's vector, when cached and the file is unchanged.</summary>
    public bool TryGet(string image, out float[] vector) => TryGet(image, null, out vector);

    /// <summary>
    /// The vectors of <paramref name="image"/>'s regions for the localisation named <paramref name="regions"/>
    /// (null: the whole photo, one row), row-major, when cached and the file is unchanged.
    /// </summary>
    public bool TryGet(string image, string? regions, out float[] rows)
    {
        var file = new FileInfo(image);
        if (_entries.TryGetValue(Key(image, regions), out var entry) && file.Exists && file.Length == entry.Length && file.LastWriteTimeUtc.Ticks == entry.Ticks)
        {
            rows = entry.Rows;
            return true;
        }

        rows = [];
        return false;
    }

    public void Add(string image, float[] vector) => Add(image, null, vector);

    /// <summary>Keeps <paramref name="rows"/> (whole rows of <see cref="Dimension"/>) for <paramref name="image"/>'s regions <paramref name="regions"/>.</summary>
    public void Add(string image, string? regions, float[] rows)
    {
        if (rows.Length == 0 || rows.Length % Dimension != 0)
        {
            throw new ArgumentException($"Cached vectors must be whole rows of {Dimension} floats, not {rows.Length}.", nameof(rows));
        }

        var file = new FileInfo(image);
        _entries[Key(image, regions)] = (file.Length, file.LastWriteTimeUtc.Ticks, rows);
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
            foreach (var (key, (length, ticks, rows)) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                writer.Write(key);
                writer.Write(length);
                writer.Write(ticks);
                writer.Write(rows.Length / Dimension);
                foreach (var value in rows)
                {
                    writer.Write(value);
                }
            }
        }

        File.Move(temporary, Path, overwrite: true);
    }

    private static string Key(string image, string? regions) => regions is null ? image : image + RegionSeparator + regions;
}
