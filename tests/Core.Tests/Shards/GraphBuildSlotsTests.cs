using Microsoft.Extensions.Options;
using OutfitFinder.Core.Shards;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>A silo runs at most <c>Search:ConcurrentGraphBuilds</c> graph builds at once; the rest queue.</summary>
public sealed class GraphBuildSlotsTests
{
    private static GraphBuildSlots Slots(int concurrent) =>
        new(Options.Create(new ShardIndexOptions { ConcurrentGraphBuilds = concurrent }));

    [Fact]
    public async Task SecondBuild_WaitsUntilTheFirstFreesItsSlot()
    {
        var slots = Slots(concurrent: 1);
        var first = await slots.EnterAsync(CancellationToken.None);
        var second = slots.EnterAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(second.IsCompleted, "a second build started while the only slot was taken");

        first.Dispose();
        first.Dispose(); // a second dispose must not free a slot it does not hold
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();

        var third = await slots.EnterAsync(CancellationToken.None);
        var fourth = slots.EnterAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(fourth.IsCompleted, "a double dispose freed an extra slot");
        third.Dispose();
        (await fourth.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task CancelledWait_TakesNoSlot()
    {
        var slots = Slots(concurrent: 1);
        var held = await slots.EnterAsync(CancellationToken.None);
        using var cancellation = new CancellationTokenSource();
        var waiting = slots.EnterAsync(cancellation.Token);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        held.Dispose();
        (await slots.EnterAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Validator_RefusesAConcurrencyOutOfRange(int concurrent)
    {
        var result = new ShardIndexOptionsValidator().Validate(null, new ShardIndexOptions { ConcurrentGraphBuilds = concurrent });
        Assert.True(result.Failed);
        Assert.Contains("Search:ConcurrentGraphBuilds", result.FailureMessage, StringComparison.Ordinal);
    }
}
