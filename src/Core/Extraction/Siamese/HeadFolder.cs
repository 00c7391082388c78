using System.Collections.Concurrent;

namespace OutfitFinder.Core.Extraction.Siamese;

/// <summary>
/// The folder of head files a cluster serves: <c>resnet18+shoes</c> means <c>shoes.head</c> in
/// it, trained on <c>resnet18</c> vectors. Heads are read once and kept: a head must not change
/// once a catalog uses it, because the catalog's stored vectors were made with it.
/// </summary>
public sealed class HeadFolder(string path)
{
    private readonly ConcurrentDictionary<string, ProjectionHead> _loaded = new(StringComparer.Ordinal);

    /// <summary>Absolute path of the folder.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>
    /// The head named <paramref name="head"/>, checked to take vectors of <paramref name="baseModel"/>
    /// with <paramref name="baseDimension"/> values.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such head, or it belongs to another base model; the message says which.</exception>
    /// <exception cref="InvalidDataException">The head file is corrupt.</exception>
    public ProjectionHead Get(string baseModel, int baseDimension, string head)
    {
        if (!HeadModelName.IsValidHeadName(head))
        {
            throw new KeyNotFoundException($"'{head}' is not a valid head name: use letters, digits, '-', '_' and '.', at most 64 characters.");
        }

        if (!_loaded.TryGetValue(head, out var projection))
        {
            var file = System.IO.Path.Combine(Path, head + HeadFile.Extension);
            if (!File.Exists(file))
            {
                throw new KeyNotFoundException($"There is no head '{head}': '{file}' does not exist.");
            }

            projection = _loaded.GetOrAdd(head, HeadFile.Load(file));
        }

        if (!string.Equals(projection.BaseModel, baseModel, StringComparison.Ordinal) || projection.InputDimension != baseDimension)
        {
            throw new KeyNotFoundException(
                $"Head '{head}' was trained on {projection.InputDimension}-value vectors of '{projection.BaseModel}', "
                + $"so it cannot follow '{baseModel}' ({baseDimension} values); use '{HeadModelName.Compose(projection.BaseModel, head)}'.");
        }

        return projection;
    }

    /// <summary>The <c>base+head</c> model names of the readable head files in the folder, sorted; empty when the folder does not exist.</summary>
    public IReadOnlyList<string> ModelNames()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        var names = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path, "*" + HeadFile.Extension))
        {
            var head = System.IO.Path.GetFileNameWithoutExtension(file);
            if (!HeadModelName.IsValidHeadName(head))
            {
                continue;
            }

            try
            {
                var projection = _loaded.TryGetValue(head, out var known) ? known : _loaded.GetOrAdd(head, HeadFile.Load(file));
                names.Add(HeadModelName.Compose(projection.BaseModel, head));
            }
            catch (Exception unreadable) when (unreadable is InvalidDataException or IOException)
            {
                // Listed nowhere: asking for it by name reports what is wrong with it.
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
