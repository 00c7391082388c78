using OutfitFinder.Cli.Evaluation;
using OutfitFinder.Cli.Http;

namespace OutfitFinder.Cli.Tests.Evaluation;

public sealed class TopKAccuracyTests
{
    private const double Tolerance = 1e-12;

    // Five queries searched with k = 5 (max of 1, 3, 5); "d9:Dress" is a hit of product d9, category Dress.
    //
    //   query  category  product  results                                   first relevant rank
    //   Q1     Dress     d1       d1 d9 s5                                  1
    //   Q2     Dress     d2       d9 d5 d2 s5                               3
    //   Q3     Skirt     s1       s2 s3 s4 d1 d2  (s1 not in the top 5)     none
    //   Q4     Skirt     s2       s2                                        1
    //   Q5     Top       (none)   s2:Skirt t7:Top                           2 (category-level)
    //
    // Overall:  top-1 = Q1,Q4 = 2/5 = 0.4;  top-3 = Q1,Q2,Q4,Q5 = 4/5 = 0.8;  top-5 = 4/5 = 0.8.
    // MRR over the four instance queries: (1 + 1/3 + 0 + 1) / 4 = 7/12 ≈ 0.5833.
    // Dress (Q1,Q2): top-1 1/2, top-3 2/2, top-5 2/2; MRR (1 + 1/3) / 2 = 2/3.
    // Skirt (Q3,Q4): top-1 1/2, top-3 1/2, top-5 1/2; MRR (0 + 1) / 2 = 1/2.
    // Top   (Q5):    top-1 0/1, top-3 1/1, top-5 1/1; no instance queries, so no MRR.
    private static readonly (EvaluationQuery Query, SearchHit[] Results)[] HandWorked =
    [
        (Query("Dress", "d1"), [Hit("d1", "Dress"), Hit("d9", "Dress"), Hit("s5", "Skirt")]),
        (Query("Dress", "d2"), [Hit("d9", "Dress"), Hit("d5", "Dress"), Hit("d2", "Dress"), Hit("s5", "Skirt")]),
        (Query("Skirt", "s1"), [Hit("s2", "Skirt"), Hit("s3", "Skirt"), Hit("s4", "Skirt"), Hit("d1", "Dress"), Hit("d2", "Dress")]),
        (Query("Skirt", "s2"), [Hit("s2", "Skirt")]),
        (Query("Top", null), [Hit("s2", "Skirt"), Hit("t7", "Top")]),
    ];

    [Fact]
    public void FirstRelevantRank_MatchesTheHandWorkedRanks_ForInstanceAndCategoryQueries()
    {
        var ranks = HandWorked.Select(q => q.Query.FirstRelevantRank(q.Results));

        Assert.Equal([1, 3, null, 1, 2], ranks);
    }

    [Fact]
    public void Overall_GivesTheHandWorkedAccuracyAndMrr_ForFiveQueries()
    {
        var overall = Accumulate().Overall;

        Assert.Null(overall.Category);
        Assert.Equal((5, 4), (overall.Queries, overall.InstanceQueries));
        Assert.Equal([2, 4, 4], overall.Hits);
        Assert.Equal([0.4, 0.8, 0.8], overall.Accuracy);
        Assert.Equal(7.0 / 12, overall.MeanReciprocalRank!.Value, Tolerance);
    }

    [Fact]
    public void ByCategory_SplitsTheHandWorkedCounts_ByTheQueryCategory()
    {
        var rows = Accumulate().ByCategory;

        Assert.Equal(["Dress", "Skirt", "Top"], rows.Select(row => row.Category));
        Assert.Equal([2, 2, 1], rows.Select(row => row.Queries));
        Assert.Equal([0.5, 1.0, 1.0], rows[0].Accuracy);
        Assert.Equal([0.5, 0.5, 0.5], rows[1].Accuracy);
        Assert.Equal([0.0, 1.0, 1.0], rows[2].Accuracy);
        Assert.Equal(2.0 / 3, rows[0].MeanReciprocalRank!.Value, Tolerance);
        Assert.Equal(0.5, rows[1].MeanReciprocalRank!.Value, Tolerance);
        Assert.Null(rows[2].MeanReciprocalRank);
    }

    [Fact]
    public void Ks_AreSortedAndDeduplicated_WhenGivenOutOfOrder()
    {
        var accuracy = new TopKAccuracy([10, 1, 5, 1]);

        Assert.Equal([1, 5, 10], accuracy.Ks);
        Assert.Equal(10, accuracy.MaxK);
    }

    [Fact]
    public void Add_CountsTheQueryOnlyOverall_WhenItHasNoCategory()
    {
        var accuracy = new TopKAccuracy([1]);

        accuracy.Add(category: null, rank: 1, instance: true);

        Assert.Equal([1.0], accuracy.Overall.Accuracy);
        Assert.Empty(accuracy.ByCategory);
    }

    private static TopKAccuracy Accumulate()
    {
        var accuracy = new TopKAccuracy([1, 3, 5]);
        foreach (var (query, results) in HandWorked)
        {
            accuracy.Add(query.Category, query.FirstRelevantRank(results), query.IsInstance);
        }

        return accuracy;
    }

    private static EvaluationQuery Query(string category, string? productId) => new(2, "q.jpg", productId, category, []);

    private static SearchHit Hit(string productId, string category) => new(productId, 0.5, category, 0, null);
}
