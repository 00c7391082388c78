using OutfitFinder.Cli.Http;

namespace OutfitFinder.Cli.Evaluation;

/// <summary>One data row of a queries file: a photo and what counts as finding it.</summary>
/// <param name="RowNumber">CSV row number, the header being row 1.</param>
/// <param name="ImagePath">Full path of the photo; empty when the cell is.</param>
/// <param name="ProductId">The product that should be found; null for a category-only query.</param>
/// <param name="Category">The query's category; null when the row has none.</param>
/// <param name="Problems">Why the row cannot be evaluated; empty for a good row.</param>
internal sealed record EvaluationQuery(
    int RowNumber,
    string ImagePath,
    string? ProductId,
    string? Category,
    IReadOnlyList<string> Problems)
{
    /// <summary>Instance-level: relevant means "the query's own product".</summary>
    public bool IsInstance => ProductId is not null;

    /// <summary>
    /// The 1-based rank of the first relevant hit, or null when none is relevant. With a product id
    /// only that product is relevant (its category is then just the reporting group); without one,
    /// any hit of the query's category is.
    /// </summary>
    public int? FirstRelevantRank(IReadOnlyList<SearchHit> hits)
    {
        for (var i = 0; i < hits.Count; i++)
        {
            var relevant = ProductId is not null
                ? string.Equals(hits[i].ProductId, ProductId, StringComparison.Ordinal)
                : string.Equals(hits[i].Category, Category, StringComparison.Ordinal);
            if (relevant)
            {
                return i + 1;
            }
        }

        return null;
    }
}
