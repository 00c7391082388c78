using OutfitFinder.Core.Localisation;
using OutfitFinder.Core.Search;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Search;

/// <summary>
/// A photo search with several query vectors (the crops of one photo): each is fanned out to the
/// shards in parallel, and the answers are fused per product, each product keeping its best crop's
/// score (<see cref="CropFusionKind.Max"/>, the fusion measured best in docs/evaluation.md). With
/// one vector it is exactly <see cref="SearchFanOut"/>.
/// </summary>
public sealed class LocalisedSearch(SearchFanOut fanOut)
{
    /// <summary>The fused top <paramref name="k"/>; partial when any crop's fan-out was.</summary>
    /// <exception cref="ShardsUnavailableException">No shard answered for any crop.</exception>
    public async Task<FanOutResult> SearchAsync(
        CatalogDefinition catalog, IReadOnlyList<float[]> vectors, int k, string? category, int? ef, string? filterJson,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Count == 1)
        {
            return await fanOut.SearchAsync(catalog, vectors[0], k, category, ef, filterJson, cancellationToken);
        }

        // Each crop asks for k: max fusion over the crops' top-k lists is then exact (see CropFusion).
        var answers = await Task.WhenAll(vectors.Select(vector => fanOut.SearchAsync(catalog, vector, k, category, ef, filterJson, cancellationToken)));
        DistanceMetrics.TryParse(catalog.Metric, out var metric);
        var fused = CropFusion.Fuse([.. answers.Select(answer => answer.Hits)], k, metric, CropFusionKind.Max,
            hit => new IndexHit(hit.ProductId, hit.ImageIndex, hit.Score));
        return new FanOutResult(fused, answers.Any(a => a.Partial), answers.Max(a => a.ShardsFailed), answers.Any(a => a.Stale), answers.Max(a => a.LagMs));
    }
}
