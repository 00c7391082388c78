namespace OutfitFinder.Cli.Evaluation;

/// <summary>
/// Accumulates top-k accuracy (hits / queries at each k) overall and per query category, and the
/// mean reciprocal rank of instance queries. Pure arithmetic: the caller decides each query's rank.
/// </summary>
/// <remarks>
/// A query's rank is the 1-based position of its first relevant result, or null when none of the
/// results is relevant. It is a hit at k when rank ≤ k. Reciprocal rank counts 0 for a miss, so
/// MRR is cut off at the search depth (max k), as MRR@k is usually reported.
/// </remarks>
internal sealed class TopKAccuracy
{
    private readonly Counts _overall;
    private readonly SortedDictionary<string, Counts> _byCategory = new(StringComparer.Ordinal);

    /// <param name="ks">Depths to report, each at least 1; sorted and deduplicated here.</param>
    public TopKAccuracy(IEnumerable<int> ks)
    {
        Ks = [.. ks.Distinct().Order()];
        if (Ks.Count == 0 || Ks[0] < 1)
        {
            throw new ArgumentException("At least one k, each at least 1, is needed.", nameof(ks));
        }

        _overall = new Counts(Ks.Count);
    }

    /// <summary>The depths reported, ascending.</summary>
    public IReadOnlyList<int> Ks { get; }

    /// <summary>The deepest k: how many results each query needs.</summary>
    public int MaxK => Ks[^1];

    /// <summary>Queries added so far.</summary>
    public int Queries => _overall.Queries;

    /// <summary>Counts one query.</summary>
    /// <param name="category">The query's category; null counts in the overall row only.</param>
    /// <param name="rank">1-based rank of the first relevant result, or null for none.</param>
    /// <param name="instance">True when relevance was the query's own product; only those enter MRR.</param>
    public void Add(string? category, int? rank, bool instance)
    {
        if (rank is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, "Ranks start at 1.");
        }

        _overall.Add(Ks, rank, instance);
        if (category is not null)
        {
            if (!_byCategory.TryGetValue(category, out var counts))
            {
                _byCategory[category] = counts = new Counts(Ks.Count);
            }

            counts.Add(Ks, rank, instance);
        }
    }

    /// <summary>All queries.</summary>
    public AccuracyRow Overall => _overall.ToRow(null);

    /// <summary>One row per query category, in ordinal order of the name.</summary>
    public IReadOnlyList<AccuracyRow> ByCategory => [.. _byCategory.Select(pair => pair.Value.ToRow(pair.Key))];

    private sealed class Counts(int kCount)
    {
        private readonly int[] _hits = new int[kCount];
        private double _reciprocalRankSum;

        public int Queries { get; private set; }

        public int InstanceQueries { get; private set; }

        public void Add(IReadOnlyList<int> ks, int? rank, bool instance)
        {
            Queries++;
            for (var i = 0; i < ks.Count; i++)
            {
                if (rank <= ks[i])
                {
                    _hits[i]++;
                }
            }

            if (instance)
            {
                InstanceQueries++;
                _reciprocalRankSum += rank is { } r ? 1.0 / r : 0;
            }
        }

        public AccuracyRow ToRow(string? category) => new(
            category,
            Queries,
            [.. _hits],
            [.. _hits.Select(hits => Queries == 0 ? 0 : (double)hits / Queries)],
            InstanceQueries,
            InstanceQueries == 0 ? null : _reciprocalRankSum / InstanceQueries);
    }
}

/// <summary>Accuracy of one group of queries; the lists run parallel to <see cref="TopKAccuracy.Ks"/>.</summary>
/// <param name="Category">Null for the overall row.</param>
/// <param name="Queries">Queries in the group.</param>
/// <param name="Hits">Queries with a relevant result in the first k, per k.</param>
/// <param name="Accuracy">Hits / queries per k, between 0 and 1.</param>
/// <param name="InstanceQueries">Queries that named a product.</param>
/// <param name="MeanReciprocalRank">Over the instance queries; null when there are none.</param>
internal sealed record AccuracyRow(
    string? Category,
    int Queries,
    IReadOnlyList<int> Hits,
    IReadOnlyList<double> Accuracy,
    int InstanceQueries,
    double? MeanReciprocalRank);
