namespace OutfitFinder.Core.Storage;

/// <summary>
/// The path rules every <see cref="IBlobStore"/> adapter enforces, so a path that works on a
/// laptop's folder also works in Azure Blob Storage and the other way round.
/// </summary>
public static class BlobPath
{
    /// <summary>Longest accepted path, in characters (Azure Blob Storage's limit for a blob name).</summary>
    public const int MaxLength = 1024;

    /// <summary>
    /// Suffix that adapters reserve for writes in progress (a temporary file, a staging blob): no
    /// segment of a blob path may end with it, so a blob can never collide with one, and listings
    /// leave them out.
    /// </summary>
    public const string TemporarySuffix = ".~tmp";

    /// <summary>
    /// Throws <see cref="ArgumentException"/> with a sentence naming the rule when
    /// <paramref name="path"/> is not relative, '/'-separated, without empty, '.' or '..' segments,
    /// backslashes, control characters or segments ending in <see cref="TemporarySuffix"/>.
    /// </summary>
    public static void Validate(string path, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(path, parameterName);
        if (path.Length == 0)
        {
            throw new ArgumentException("A blob path cannot be empty.", parameterName);
        }

        ValidateCharacters(path, parameterName);
        if (path[0] == '/' || Path.IsPathRooted(path))
        {
            throw new ArgumentException($"Blob path '{path}' is rooted; blob paths are relative to the store.", parameterName);
        }

        foreach (var segment in path.Split('/'))
        {
            ValidateSegment(path, segment, parameterName);
            if (segment.EndsWith(TemporarySuffix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Blob path '{path}' has a segment ending in '{TemporarySuffix}', which is reserved for writes in progress.", parameterName);
            }
        }
    }

    /// <summary>
    /// Like <see cref="Validate"/>, for a listing prefix: empty is allowed (everything), and the
    /// prefix may end with '/' or in the middle of a segment.
    /// </summary>
    public static void ValidatePrefix(string prefix, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(prefix, parameterName);
        if (prefix.Length == 0)
        {
            return;
        }

        ValidateCharacters(prefix, parameterName);
        if (prefix[0] == '/' || Path.IsPathRooted(prefix))
        {
            throw new ArgumentException($"Blob prefix '{prefix}' is rooted; blob paths are relative to the store.", parameterName);
        }

        var segments = prefix.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            // The last piece is a partial segment ("" after a trailing '/', "ab" for "ab*"), but it
            // cannot be '..': that would still name a parent folder.
            var isLast = i == segments.Length - 1;
            if (isLast && segments[i] is not ("." or ".."))
            {
                continue;
            }

            ValidateSegment(prefix, segments[i], parameterName);
        }
    }

    private static void ValidateCharacters(string path, string parameterName)
    {
        if (path.Length > MaxLength)
        {
            throw new ArgumentException($"Blob path is {path.Length} characters long; the limit is {MaxLength}.", parameterName);
        }

        foreach (var c in path)
        {
            if (c == '\\')
            {
                throw new ArgumentException($"Blob path '{path}' contains a backslash; blob paths use '/' as their only separator.", parameterName);
            }

            if (char.IsControl(c))
            {
                throw new ArgumentException($"Blob path contains the control character U+{(int)c:X4}; control characters are not allowed.", parameterName);
            }
        }
    }

    private static void ValidateSegment(string path, string segment, string parameterName)
    {
        if (segment.Length == 0)
        {
            throw new ArgumentException($"Blob path '{path}' has an empty segment; segments are separated by exactly one '/' and the path does not end with one.", parameterName);
        }

        if (segment is "." or "..")
        {
            throw new ArgumentException($"Blob path '{path}' contains a '{segment}' segment; paths cannot step outside or around the folder they name.", parameterName);
        }
    }
}
