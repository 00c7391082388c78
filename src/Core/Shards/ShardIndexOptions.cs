using Microsoft.Extensions.Options;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards;

/// <summary>Which index a catalog shard answers searches from.</summary>
public enum ShardIndexKind
{
    /// <summary>Exact scan below <see cref="ShardIndexOptions.GraphThreshold"/> image vectors, an HNSW graph from there on.</summary>
    Auto,
    /// <summary>Always the exact scan: every answer is exact, every query reads every vector.</summary>
    Flat,
    /// <summary>Always an HNSW graph, whatever the shard's size (the exact scan answers while it is built).</summary>
    Hnsw,
}

/// <summary>Where a catalog shard keeps its full-precision vectors.</summary>
public enum ShardVectorStorage
{
    /// <summary>On the managed heap: every vector always in memory.</summary>
    Memory,
    /// <summary>
    /// In a memory-mapped scratch file under <see cref="ShardIndexOptions.VectorFolder"/>: the operating system's
    /// page cache holds the rows searches touch and drops the rest under pressure. Pairs with an int8 graph, which
    /// reads full-precision rows only to re-rank its candidates.
    /// </summary>
    MappedFile,
}

/// <summary>
/// How catalog shards index their vectors. Every shard keeps the exact scan (it is the reference
/// and answers while a graph is built); above a size it also builds an HNSW graph in the
/// background, answers from it once ready, and persists it next to its snapshot. Bound from
/// <c>Search</c>.
/// </summary>
public sealed class ShardIndexOptions
{
    /// <summary>Index kind: <c>Auto</c>, <c>Flat</c> or <c>Hnsw</c>. Default: Auto.</summary>
    public ShardIndexKind Index { get; set; } = ShardIndexKind.Auto;

    /// <summary>
    /// Image vectors a shard must hold before <see cref="ShardIndexKind.Auto"/> builds a graph: below
    /// it an exact scan is fast enough and exact. Default: 20000.
    /// </summary>
    public int GraphThreshold { get; set; } = 20_000;

    /// <summary>Graph neighbours per row on upper levels (2M at level 0). Default: 16.</summary>
    public int GraphM { get; set; } = 16;

    /// <summary>Candidates kept while linking a row; higher builds slower and a better graph. Default: 100.</summary>
    public int GraphEfConstruction { get; set; } = 100;

    /// <summary>
    /// How a graph stores its vectors: <c>Float</c>, or <c>Int8</c> codes for a quarter of the graph's vector memory
    /// (scores then come from the codes: close to the exact scan's, not equal). Int8 applies to cosine and dot
    /// catalogs; graphs of L2 and L1 catalogs stay float. Default: Float.
    /// </summary>
    public HnswVectors GraphVectors { get; set; } = HnswVectors.Float;

    /// <summary>Candidates kept per query when the request names none. Default: 64.</summary>
    public int DefaultEf { get; set; } = 64;

    /// <summary>
    /// Share of a graph's rows that may be tombstones (deleted or replaced products) before the shard
    /// rebuilds it in the background. Default: 0.25.
    /// </summary>
    public double RebuildTombstoneFraction { get; set; } = 0.25;

    /// <summary>
    /// Graph builds a silo runs at once; later ones queue while the exact scan answers for their
    /// shards. Default: half the processors, at least one.
    /// </summary>
    public int ConcurrentGraphBuilds { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Where shards keep their full-precision vectors: <c>Memory</c> or <c>MappedFile</c>. Default: Memory.
    /// </summary>
    public ShardVectorStorage VectorStorage { get; set; } = ShardVectorStorage.Memory;

    /// <summary>
    /// Local folder for <see cref="ShardVectorStorage.MappedFile"/> scratch files (created if missing; the files are
    /// unlinked once mapped, so none outlives the silo). Put it on a disk, not a RAM-backed tmpfs. Default: the
    /// system temporary folder's <c>outfitfinder-vectors</c>.
    /// </summary>
    public string VectorFolder { get; set; } = Path.Combine(Path.GetTempPath(), "outfitfinder-vectors");

    /// <summary>The vector storage shards create their indexes with.</summary>
    public Search.VectorStorage CreateVectorStorage() => VectorStorage == ShardVectorStorage.MappedFile
        ? Search.VectorStorage.MappedFile(VectorFolder)
        : Search.VectorStorage.Memory;

    /// <summary>Whether a shard holding <paramref name="images"/> image vectors should have a graph.</summary>
    public bool WantsGraph(int images) => Index switch
    {
        ShardIndexKind.Hnsw => images > 0,
        ShardIndexKind.Auto => images >= GraphThreshold,
        _ => false,
    };
}

/// <summary>Fails start-up with a sentence naming the <c>Search</c> setting to fix.</summary>
public sealed class ShardIndexOptionsValidator : IValidateOptions<ShardIndexOptions>
{
    /// <summary>Largest per-query ef the cluster accepts (see <see cref="ShardSearch.MaxEf"/>).</summary>
    private const int MaxEf = ShardSearch.MaxEf;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ShardIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Index))
        {
            failures.Add($"Search:Index is {options.Index}; it must be Auto, Flat or Hnsw.");
        }

        if (options.GraphThreshold < 1)
        {
            failures.Add($"Search:GraphThreshold is {options.GraphThreshold}; it must be a positive number of image vectors.");
        }

        if (options.GraphM < 2 || options.GraphM > 256)
        {
            failures.Add($"Search:GraphM is {options.GraphM}; it must be between 2 and 256.");
        }

        if (options.GraphEfConstruction < 1 || options.GraphEfConstruction > MaxEf)
        {
            failures.Add($"Search:GraphEfConstruction is {options.GraphEfConstruction}; it must be between 1 and {MaxEf}.");
        }

        if (!Enum.IsDefined(options.GraphVectors))
        {
            failures.Add($"Search:GraphVectors is {options.GraphVectors}; it must be Float or Int8.");
        }

        if (options.DefaultEf < 1 || options.DefaultEf > MaxEf)
        {
            failures.Add($"Search:DefaultEf is {options.DefaultEf}; it must be between 1 and {MaxEf}.");
        }

        if (!(options.RebuildTombstoneFraction > 0 && options.RebuildTombstoneFraction <= 1))
        {
            failures.Add($"Search:RebuildTombstoneFraction is {options.RebuildTombstoneFraction}; it must be above 0 and at most 1.");
        }

        if (options.ConcurrentGraphBuilds < 1 || options.ConcurrentGraphBuilds > 256)
        {
            failures.Add($"Search:ConcurrentGraphBuilds is {options.ConcurrentGraphBuilds}; it must be between 1 and 256.");
        }

        if (!Enum.IsDefined(options.VectorStorage))
        {
            failures.Add($"Search:VectorStorage is {options.VectorStorage}; it must be Memory or MappedFile.");
        }
        else if (options.VectorStorage == ShardVectorStorage.MappedFile && string.IsNullOrWhiteSpace(options.VectorFolder))
        {
            failures.Add("Search:VectorFolder is empty; Search:VectorStorage MappedFile needs a local folder for its scratch files.");
        }
        else if (options.VectorStorage == ShardVectorStorage.MappedFile && CannotWrite(options.VectorFolder) is { } reason)
        {
            failures.Add($"Search:VectorFolder '{options.VectorFolder}' cannot hold scratch files: {reason}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why a file cannot be created in <paramref name="folder"/> (creating the folder if missing), or null when one can.</summary>
    private static string? CannotWrite(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(Path.Combine(folder, $"probe-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.Message;
        }
    }
}
