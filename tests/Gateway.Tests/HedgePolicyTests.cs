using System.Diagnostics;
using OutfitFinder.Gateway.Search;

namespace OutfitFinder.Gateway.Tests;

public sealed class HedgePolicyTests
{
    private static readonly HedgingOptions Defaults = new();

    private static HedgePolicy WithAnswers(params double[] milliseconds)
    {
        var policy = new HedgePolicy(Defaults);
        foreach (var ms in milliseconds)
        {
            policy.Record(TimeSpan.FromMilliseconds(ms));
        }

        return policy;
    }

    [Fact]
    public void Delay_IsTheLongest_BeforeEnoughAnswers()
    {
        Assert.Equal(Defaults.MaxDelay, WithAnswers(10, 10, 10).Delay);
    }

    [Fact]
    public void Delay_IsAFewTimesTheMedian_OnceEnoughAnswersCame()
    {
        var policy = WithAnswers(70, 80, 80, 80, 90, 90, 600, 80);

        Assert.Equal(TimeSpan.FromMilliseconds(80 * Defaults.Multiplier), policy.Delay);
    }

    [Fact]
    public void Delay_KeepsItsFloor_ForAFastShard()
    {
        Assert.Equal(Defaults.MinDelay, WithAnswers(2, 3, 2, 4, 3, 2, 3, 5).Delay);
    }

    [Fact]
    public void Delay_KeepsItsCeiling_ForASlowShard()
    {
        Assert.Equal(Defaults.MaxDelay, WithAnswers(900, 900, 900, 900, 900, 900, 900, 900).Delay);
    }

    [Fact]
    public void Order_GivesEachCopyItsTurnFirst()
    {
        var policy = new HedgePolicy(Defaults);

        var firsts = Enumerable.Range(0, 6).Select(_ => policy.Order(3, Stopwatch.GetTimestamp())[0]).ToList();

        Assert.Equal([0, 1, 2, 0, 1, 2], firsts);
        Assert.Equal([0, 1, 2], policy.Order(3, Stopwatch.GetTimestamp()).Order());
    }

    [Fact]
    public void Order_AsksASuspectCopyLast_UntilItsMarkExpires()
    {
        var policy = new HedgePolicy(Defaults);
        var now = Stopwatch.GetTimestamp();
        policy.MarkSuspect(0, now);

        Assert.All(Enumerable.Range(0, 4), _ => Assert.Equal(0, policy.Order(2, now)[^1]));
        var later = now + (long)((Defaults.SuspectFor.TotalSeconds + 1) * Stopwatch.Frequency);
        Assert.Contains(0, Enumerable.Range(0, 2).Select(_ => policy.Order(2, later)[0]));
    }

    [Fact]
    public void Validate_NamesTheSetting_WhenTheCeilingIsBelowTheFloor()
    {
        var result = new HedgingOptionsValidator().Validate(null, new HedgingOptions { MinDelay = TimeSpan.FromSeconds(2) });

        Assert.True(result.Failed);
        Assert.Contains("Gateway:Hedging:MaxDelay", result.FailureMessage, StringComparison.Ordinal);
    }
}
