namespace OutfitFinder.Core.Search;

/// <summary>
/// Where a <see cref="FlatVectorIndex"/> keeps its float vectors: on the managed heap (the default), or in a
/// memory-mapped file on local disk, where the operating system keeps the rows that searches touch in its page
/// cache and can drop the rest under memory pressure.
/// </summary>
/// <remarks>
/// A file-backed index is for shards that answer from a compressed graph (int8 codes) and read full-precision
/// rows only to re-rank a few dozen candidates per query, or for the occasional filtered scan: the floats are
/// then the largest thing a shard holds, and the least read. The file is scratch space, not storage: it is
/// unlinked as soon as it is mapped (on Windows, deleted when closed), so it vanishes with the process even
/// after a crash, and durability stays with the shard's snapshot and log. Put the folder on a disk, not on a
/// RAM-backed <c>tmpfs</c>, or nothing is saved.
/// </remarks>
public sealed record VectorStorage
{
    private VectorStorage(string? folder) => Folder = folder;

    /// <summary>Vectors on the managed heap.</summary>
    public static VectorStorage Memory { get; } = new((string?)null);

    /// <summary>The folder that holds the mapped vector files; null for <see cref="Memory"/>.</summary>
    public string? Folder { get; }

    /// <summary>Vectors in a memory-mapped scratch file under <paramref name="folder"/> (created if missing).</summary>
    /// <exception cref="ArgumentException">The folder is empty or blank.</exception>
    public static VectorStorage MappedFile(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return new VectorStorage(Path.GetFullPath(folder));
    }

    /// <inheritdoc />
    public override string ToString() => Folder is null ? "memory" : $"mapped file in {Folder}";

    internal VectorRows CreateRows() => Folder is null ? new ManagedVectorRows() : new MappedVectorRows(Folder);
}
