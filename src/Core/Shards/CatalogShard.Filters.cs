using System.Diagnostics;
using OutfitFinder.Core.Filters;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// Metadata filters: the shard's field indexes (<see cref="ShardFieldIndex"/>, kept in step by every apply) count the
/// rows a filter matches, and <see cref="FilterCost"/> picks an exact scan of those rows or a graph walk that keeps
/// only them. Either way the filter is applied before the top k is cut.
/// </summary>
public sealed partial class CatalogShard
{
    /// <summary>The metadata fields the shard indexes for filters, as the catalog declared them.</summary>
    public IReadOnlyDictionary<string, FieldType> Fields =>
        _fields.Schema.Names.Select((name, i) => (name, _fields.Schema.Types[i])).ToDictionary(pair => pair.name, pair => pair.Item2);

    /// <summary>
    /// Indexes the catalog's declared fields: the ones already indexed and any new ones, whose values are read from
    /// every held product's stored metadata. Runs as a write (alone). Nothing is logged: the fields belong to the
    /// catalog's definition, which the shard is given again when it opens.
    /// </summary>
    /// <returns>True when a field was added.</returns>
    public async Task<bool> DeclareFieldsAsync(IReadOnlyDictionary<string, FieldType> fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var current = _fields.Schema;
            var merged = current.Names.Select((name, i) => (name, type: current.Types[i])).ToDictionary(pair => pair.name, pair => pair.type);
            var added = false;
            foreach (var (name, type) in fields)
            {
                if (!merged.ContainsKey(name))
                {
                    merged[name] = type;
                    added = true;
                }
            }

            if (added)
            {
                _fields.Declare(new FieldSchema(merged));
            }

            return added;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private MetadataFilter? ParseFilter(string? json)
    {
        if (json is null)
        {
            return null;
        }

        return MetadataFilterParser.TryParse(json, _fields.Schema, out var filter, out var error)
            ? filter
            : throw new ArgumentException(error);
    }

    /// <summary>
    /// A search with a metadata filter (and maybe a category). Without a graph, or when the matching rows are few
    /// enough that scoring them costs less than a walk, they are enumerated from the field indexes and scored
    /// exactly; otherwise the graph is walked with the filter as its row test.
    /// </summary>
    private IReadOnlyList<IndexHit> SearchFiltered(IVectorIndex? answering, ShardSearch query, MetadataFilter filter, int k, Activity? activity)
    {
        var ef = query.Ef ?? _indexSettings.DefaultEf;
        if (ef is < 1 or > ShardSearch.MaxEf)
        {
            throw new ArgumentException($"ef is {ef}; it must be between 1 and {ShardSearch.MaxEf}.");
        }

        var matching = _fields.EstimateRows(query.Category, filter);
        var scan = answering is null || FilterCost.PreferScan(matching, _index.ImageCount, Math.Max(ef, k));
        activity?.SetTag("outfitfinder.filter.rows", matching);
        activity?.SetTag("outfitfinder.filter.strategy", scan ? "scan" : "walk");
        if (scan)
        {
            return _index.Rescore(query.Vector, _fields.Matching(query.Category, filter), k);
        }

        // The category is the graph's own (compared by reference); the predicate carries the metadata part.
        var predicate = _fields.Predicate(category: null, filter);
        var rerank = _secondIndex!.RerankCandidates;
        if (rerank == 0)
        {
            return answering!.Search(query.Vector, k, new IndexQueryOptions(query.Category, ef, predicate, HnswFilterStrategy.Walk));
        }

        var candidates = answering!.Search(query.Vector, rerank * k,
            new IndexQueryOptions(query.Category, Math.Max(ef, rerank * k), predicate, HnswFilterStrategy.Walk));
        return _index.Rescore(query.Vector, candidates.Select(hit => hit.ProductId), k);
    }
}
