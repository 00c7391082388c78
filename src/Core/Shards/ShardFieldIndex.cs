using OutfitFinder.Core.Filters;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// A shard's indexes over category and the catalog's declared metadata fields, so that a filtered search can count
/// its matching products cheaply (to choose scan or walk) and enumerate them without reading every product:
/// a posting set per string value, a column per number field sorted on demand, and product counts per category.
/// Holds nothing while the catalog declares no fields (a category alone is filtered by the vector index itself).
/// </summary>
/// <remarks>
/// <para>Kept in step by every apply (upsert, delete, log replay, snapshot load), so compaction needs nothing of its
/// own: a snapshot holds the metadata, and the index is rebuilt from it on open. Declaring a field later
/// (<see cref="Declare"/>) indexes the products already held from their stored metadata.</para>
/// <para>Threading: writes follow the shard's contract (alone). The one thing reads change is the sorted form of a
/// number column, rebuilt after writes by the first read that needs it, under a lock, and published whole.</para>
/// </remarks>
internal sealed class ShardFieldIndex
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _categoryProducts = new(StringComparer.Ordinal);
    private readonly Lock _sortLock = new();
    private Dictionary<string, HashSet<string>>?[] _byString = [];
    private SortedColumn?[] _sorted = [];
    private long _rows;

    public ShardFieldIndex(FieldSchema schema)
    {
        Schema = schema;
        _byString = new Dictionary<string, HashSet<string>>?[schema.Count];
        _sorted = new SortedColumn?[schema.Count];
        CreatePostings();
    }

    /// <summary>The fields indexed, as the catalog declared them.</summary>
    public FieldSchema Schema { get; private set; }

    /// <summary>Products indexed.</summary>
    public int ProductCount => _entries.Count;

    /// <summary>Indexes (or re-indexes) a product.</summary>
    public void Set(string productId, string? category, string? metadataJson, int imageCount)
    {
        Remove(productId);
        if (Schema.Count == 0)
        {
            // Without declared fields no metadata filter can be asked; a category alone is the vector index's own.
            return;
        }

        var entry = new Entry(category, imageCount, Schema.Extract(metadataJson), metadataJson);
        _entries[productId] = entry;
        _rows += imageCount;
        if (category is not null)
        {
            _categoryProducts[category] = _categoryProducts.GetValueOrDefault(category) + 1;
        }

        for (var i = 0; i < Schema.Count; i++)
        {
            if (_byString[i] is { } postings && entry.Values[i].Text is { } text)
            {
                Posting(postings, text).Add(productId);
            }
        }

        InvalidateSorted();
    }

    /// <summary>Forgets a product; nothing when it was not indexed.</summary>
    public void Remove(string productId)
    {
        if (!_entries.Remove(productId, out var entry))
        {
            return;
        }

        _rows -= entry.Images;
        if (entry.Category is not null && --_categoryProducts[entry.Category] == 0)
        {
            _categoryProducts.Remove(entry.Category);
        }

        for (var i = 0; i < Schema.Count; i++)
        {
            if (_byString[i] is { } postings && entry.Values[i].Text is { } text)
            {
                Unpost(postings, text, productId);
            }
        }

        InvalidateSorted();
    }

    /// <summary>
    /// Replaces the declared fields (a catalog only ever adds fields, so this is the old ones and more) and indexes
    /// every product's values from its stored metadata.
    /// </summary>
    public void Declare(FieldSchema schema)
    {
        Schema = schema;
        _byString = new Dictionary<string, HashSet<string>>?[schema.Count];
        _sorted = new SortedColumn?[schema.Count];
        CreatePostings();
        foreach (var (productId, entry) in _entries.ToList())
        {
            _entries.Remove(productId);
            _rows -= entry.Images;
            Set(productId, entry.Category, entry.MetadataJson, entry.Images);
        }
    }

    /// <summary>
    /// About how many image rows pass <paramref name="category"/> and <paramref name="filter"/>: exact for one
    /// comparison, the product of the parts' shares for <c>and</c> (as if independent), their sum (capped) for
    /// <c>or</c>.
    /// </summary>
    public long EstimateRows(string? category, MetadataFilter? filter)
    {
        var products = _entries.Count;
        if (products == 0)
        {
            return 0;
        }

        var share = 1.0;
        if (category is not null)
        {
            share = (double)_categoryProducts.GetValueOrDefault(category) / products;
        }

        if (filter is not null)
        {
            share *= Share(filter, products);
        }

        return (long)Math.Ceiling(share * _rows);
    }

    /// <summary>Every product passing <paramref name="category"/> and <paramref name="filter"/>, enumerated from the smallest field index that bounds them.</summary>
    public List<string> Matching(string? category, MetadataFilter? filter)
    {
        var candidates = filter is null ? _entries.Keys : Candidates(filter);
        var predicate = Predicate(category, filter);
        return [.. candidates.Where(predicate)];
    }

    /// <summary>Whether a product passes, for a graph walk's row test.</summary>
    public Func<string, bool> Predicate(string? category, MetadataFilter? filter) => productId =>
        _entries.TryGetValue(productId, out var entry)
        && (category is null || string.Equals(entry.Category, category, StringComparison.Ordinal))
        && (filter is null || filter.Matches(entry.Values));

    private double Share(MetadataFilter filter, int products) => filter switch
    {
        InFilter leaf => Math.Min(1.0, (double)CountIn(leaf) / products),
        RangeFilter range => (double)CountRange(range) / products,
        BooleanFilter { IsAnd: true } and => and.Parts.Aggregate(1.0, (share, part) => share * Share(part, products)),
        BooleanFilter or => Math.Min(1.0, or.Parts.Sum(part => Share(part, products))),
        _ => 1.0,
    };

    /// <summary>A superset of the products passing <paramref name="filter"/>, small when the filter is selective.</summary>
    private IEnumerable<string> Candidates(MetadataFilter filter)
    {
        switch (filter)
        {
            case InFilter { Type: FieldType.String } leaf:
                return leaf.Values.SelectMany(value =>
                    _byString[leaf.Ordinal]!.TryGetValue(value.Text!, out var members) ? members : (IEnumerable<string>)[]);
            case InFilter leaf:
                var column = Sorted(leaf.Ordinal);
                return leaf.Values.SelectMany(value => column.Between(value.Number, true, value.Number, true));
            case RangeFilter range:
                return Sorted(range.Ordinal).Between(range.Lower, range.LowerInclusive, range.Upper, range.UpperInclusive);
            case BooleanFilter { IsAnd: true } and:
                var products = _entries.Count;
                return Candidates(and.Parts.MinBy(part => Share(part, products))!);
            case BooleanFilter or:
                return or.Parts.SelectMany(Candidates).Distinct(StringComparer.Ordinal);
            default:
                return _entries.Keys;
        }
    }

    private long CountIn(InFilter leaf)
    {
        if (leaf.Type == FieldType.String)
        {
            var postings = _byString[leaf.Ordinal]!;
            return leaf.Values.Sum(value => postings.TryGetValue(value.Text!, out var members) ? (long)members.Count : 0);
        }

        var column = Sorted(leaf.Ordinal);
        return leaf.Values.Sum(value => (long)column.Count(value.Number, true, value.Number, true));
    }

    private long CountRange(RangeFilter range) =>
        Sorted(range.Ordinal).Count(range.Lower, range.LowerInclusive, range.Upper, range.UpperInclusive);

    private SortedColumn Sorted(int ordinal)
    {
        if (Volatile.Read(ref _sorted[ordinal]) is { } current)
        {
            return current;
        }

        lock (_sortLock)
        {
            if (_sorted[ordinal] is { } built)
            {
                return built;
            }

            var pairs = _entries.Where(pair => pair.Value.Values[ordinal].HasNumber)
                .Select(pair => (pair.Value.Values[ordinal].Number, pair.Key)).ToArray();
            var keys = pairs.Select(pair => pair.Number).ToArray();
            var ids = pairs.Select(pair => pair.Key).ToArray();
            Array.Sort(keys, ids);
            var column = new SortedColumn(keys, ids);
            Volatile.Write(ref _sorted[ordinal], column);
            return column;
        }
    }

    private void InvalidateSorted()
    {
        for (var i = 0; i < _sorted.Length; i++)
        {
            _sorted[i] = null;
        }
    }

    private void CreatePostings()
    {
        for (var i = 0; i < Schema.Count; i++)
        {
            _byString[i] = Schema.Types[i] == FieldType.String ? new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) : null;
        }
    }

    private static HashSet<string> Posting(Dictionary<string, HashSet<string>> postings, string key)
    {
        if (!postings.TryGetValue(key, out var members))
        {
            members = new HashSet<string>(StringComparer.Ordinal);
            postings.Add(key, members);
        }

        return members;
    }

    private static void Unpost(Dictionary<string, HashSet<string>> postings, string key, string productId)
    {
        if (postings.TryGetValue(key, out var members) && members.Remove(productId) && members.Count == 0)
        {
            postings.Remove(key);
        }
    }

    /// <summary>One product's indexed facts; its metadata is kept so that a field declared later can be indexed.</summary>
    private sealed record Entry(string? Category, int Images, FieldValue[] Values, string? MetadataJson);

    /// <summary>A number field's values in ascending order with their products: counts and ranges by binary search.</summary>
    private sealed class SortedColumn(double[] keys, string[] ids)
    {
        public int Count(double? lower, bool lowerInclusive, double? upper, bool upperInclusive)
        {
            var (from, to) = Bounds(lower, lowerInclusive, upper, upperInclusive);
            return Math.Max(0, to - from);
        }

        public IEnumerable<string> Between(double? lower, bool lowerInclusive, double? upper, bool upperInclusive)
        {
            var (from, to) = Bounds(lower, lowerInclusive, upper, upperInclusive);
            for (var i = from; i < to; i++)
            {
                yield return ids[i];
            }
        }

        // [from, to): the first index past the lower bound, and the first past the upper one.
        private (int From, int To) Bounds(double? lower, bool lowerInclusive, double? upper, bool upperInclusive)
        {
            var from = lower is { } low ? FirstAbove(low, orEqual: lowerInclusive) : 0;
            var to = upper is { } high ? FirstAbove(high, orEqual: !upperInclusive) : keys.Length;
            return (from, to);
        }

        // The first index whose key is > value (or ≥ value with orEqual).
        private int FirstAbove(double value, bool orEqual)
        {
            var (low, high) = (0, keys.Length);
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (orEqual ? keys[middle] < value : keys[middle] <= value)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
