using OutfitFinder.Cli.Evaluation;

namespace OutfitFinder.Cli.Study;

/// <summary>
/// <c>outfit study --json FILE</c>: every measured combination as one entry of the multi-catalog
/// document that <c>outfit eval --json</c> writes, so that <c>outfit chart</c> draws the study's
/// per-category bars and its top-k curves with no second format to read.
/// </summary>
/// <remarks>
/// The depths are every k from 1 to 20, not only the tables' 1/5/10/20: a top-k curve needs them,
/// and they cost nothing because the study already knows each query's rank.
/// </remarks>
internal static class StudyJson
{
    /// <summary>The depths written: 1, 2, …, 20.</summary>
    internal static readonly int[] Ks = [.. Enumerable.Range(1, 20)];

    /// <summary>
    /// The name a combination gets in the document and on a chart's legend, e.g.
    /// <c>resnet18-rmac, thorough</c> or <c>resnet18, fast, rank fusion</c>: the served model's name where one
    /// exists, so that a chart reads like the catalogs it stands for. Max fusion is what the gateway
    /// serves and is left unsaid; rank fusion and re-ranking are named.
    /// </summary>
    public static string SeriesName(string space, string localise, string fusion, string rerank)
    {
        var model = ModelName(space);
        var name = $"{model}, {localise}";
        if (localise != "none" && fusion != "max")
        {
            name += $", {fusion} fusion";
        }

        return rerank == "-" ? name : $"{name}, {rerank}";
    }

    // The served model of a space. A head measured from a file named after the model that serves it (e.g.
    // "rmac + resnet18-rmac-street", from the shipped resnet18-rmac-street.head) is named as that model; any other
    // head keeps its "pooling + file" name.
    private static string ModelName(string space)
    {
        var plus = space.IndexOf(" + ", StringComparison.Ordinal);
        if (plus >= 0 && space[(plus + 3)..] is var head && head.StartsWith(ModelName(space[..plus]) + "-", StringComparison.Ordinal))
        {
            return head;
        }

        return space switch
        {
            "avg" => "resnet18",
            "gem" => "resnet18-gem",
            "rmac" => "resnet18-rmac",
            "salient" => "resnet18 salient window",
            "avg + head" => "resnet18 + head",
            _ => space,
        };
    }

    /// <summary>
    /// The document: for each combination, top-k accuracy at every k of <see cref="Ks"/> and MRR@20,
    /// overall and per category.
    /// </summary>
    /// <param name="combinations">Each combination's name and each query's 1-based rank of its own product (int.MaxValue: not found).</param>
    /// <param name="categories">Each query's category, parallel to every combination's ranks.</param>
    public static string ToJson(IReadOnlyList<(string Name, int[] Ranks)> combinations, IReadOnlyList<string> categories)
    {
        var results = new List<(string Catalog, TopKAccuracy Accuracy)>();
        foreach (var (name, ranks) in combinations)
        {
            if (ranks.Length != categories.Count)
            {
                throw new ArgumentException($"'{name}' has {ranks.Length} ranks for {categories.Count} queries.", nameof(combinations));
            }

            var accuracy = new TopKAccuracy(Ks);
            for (var q = 0; q < ranks.Length; q++)
            {
                // Past the deepest k a rank is a miss, as it is for outfit eval, whose searches stop there.
                accuracy.Add(categories[q], ranks[q] <= accuracy.MaxK ? ranks[q] : null, instance: true);
            }

            results.Add((name, accuracy));
        }

        return EvalCommand.ToJson(results);
    }
}
