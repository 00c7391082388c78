using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// The second index a shard keeps beside its exact scan, as <c>Search:Index</c> names it: whether the shard wants
/// one at a size, how to make an empty one, how to load its saved form, and whether its candidates are re-ranked
/// exactly from the shard's float vectors. The one place an index kind plugs in (docs/indexes.md, "Adding an index
/// kind"): a class implementing <see cref="IVectorIndex"/>, a <see cref="ShardIndexKind"/> value, a line in
/// <see cref="For"/>.
/// </summary>
/// <remarks>
/// <see cref="CatalogShard"/> builds the index off its turn from a frozen copy of the exact index, keeps it current
/// with every write, and answers from it once it holds every product. An index that is an
/// <see cref="IPersistentVectorIndex"/> is saved with each snapshot and loaded with it when the shard opens.
/// </remarks>
/// <param name="name">What <see cref="ShardIndexState.Answering"/> reports while this index answers.</param>
/// <param name="wants">Whether a shard holding this many image vectors should have the index.</param>
/// <param name="create">An empty index of the shard's dimension and metric.</param>
/// <param name="load">Reads a saved form, or null when this kind has none. Returns the index, or null and the reason
/// it does not fit this configuration; throws <see cref="InvalidDataException"/> for a payload it cannot parse.</param>
/// <param name="rerankCandidates">0 when the index's scores are final; otherwise it is asked for this many candidates
/// per wanted result, which are re-ranked exactly from the float vectors.</param>
public sealed class ShardIndexFactory(
    string name,
    Func<int, bool> wants,
    Func<IVectorIndex> create,
    Func<Stream, (IVectorIndex? Index, string? Refused)>? load = null,
    int rerankCandidates = 0)
{
    /// <summary>Candidates per wanted result an int8 graph hands to the exact re-ranking.</summary>
    internal const int Int8Candidates = 2;

    /// <summary>
    /// The second index of a shard of <paramref name="dimension"/>-float <paramref name="metric"/> vectors under
    /// <paramref name="options"/>, or null when the shard answers from its exact scan only.
    /// </summary>
    public static ShardIndexFactory? For(ShardIndexOptions options, int dimension, DistanceMetric metric) => options.Index switch
    {
        ShardIndexKind.Flat => null,
        ShardIndexKind.Auto or ShardIndexKind.Hnsw => Hnsw(options, dimension, metric),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Index, "Unknown Search:Index."),
    };

    /// <summary>What <see cref="ShardIndexState.Answering"/> reports while this index answers.</summary>
    public string Name { get; } = name;

    /// <summary>0 when the index's scores are final; else candidates per wanted result to re-rank exactly.</summary>
    public int RerankCandidates { get; } = rerankCandidates;

    /// <summary>Whether the index has a saved form that <see cref="Load"/> reads.</summary>
    public bool CanLoad => load is not null;

    /// <summary>Whether a shard holding <paramref name="images"/> image vectors should have this index.</summary>
    public bool Wants(int images) => wants(images);

    /// <summary>An empty index.</summary>
    public IVectorIndex Create() => create();

    /// <summary>
    /// The index saved in <paramref name="stream"/>, or null and a sentence saying why it is refused: it cannot be
    /// parsed, or it was saved under another configuration. The caller checks that it holds the snapshot's products.
    /// </summary>
    public (IVectorIndex? Index, string? Refused) Load(Stream stream)
    {
        if (load is null)
        {
            return (null, null);
        }

        try
        {
            return load(stream);
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// HNSW graphs (<see cref="ShardIndexKind.Auto"/> from <see cref="ShardIndexOptions.GraphThreshold"/> image
    /// vectors, <see cref="ShardIndexKind.Hnsw"/> always), over float or int8 vectors.
    /// </summary>
    private static ShardIndexFactory Hnsw(ShardIndexOptions options, int dimension, DistanceMetric metric)
    {
        // Int8 codes serve cosine and dot only; graphs of L2 and L1 catalogs stay float.
        var vectors = metric is DistanceMetric.Cosine or DistanceMetric.Dot ? options.GraphVectors : HnswVectors.Float;
        var graph = new HnswOptions(M: options.GraphM, EfConstruction: options.GraphEfConstruction, Vectors: vectors);

        // An int8 graph ranks by codes, whose rounding reorders near-ties at the edge of the top k. The shard holds
        // every float vector anyway, so it takes a few more candidates from the graph and re-ranks them exactly:
        // scores then equal the exact scan's, and recall is the walk's, not the codes'.
        return new ShardIndexFactory("hnsw", options.WantsGraph, () => new HnswIndex(dimension, metric, graph),
            stream => HnswIndex.Load(stream) is var loaded && loaded.Options.Vectors != vectors
                ? (null, $"it stores {loaded.Options.Vectors} vectors and this shard's graphs store {vectors} (Search:GraphVectors)")
                : (loaded, null),
            rerankCandidates: vectors == HnswVectors.Int8 ? Int8Candidates : 0);
    }
}
