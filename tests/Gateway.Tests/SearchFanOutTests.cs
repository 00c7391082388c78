using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Gateway.Search;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The fan-out over scripted shard copies (no silo): what a search answers when copies fail the way they do in the
/// moment after a silo dies.
/// </summary>
public sealed class SearchFanOutTests
{
    private const string Catalog = "fan";

    private static readonly CatalogDefinition TwoShardsTwoCopies = new(Catalog, "none", "cosine", 2, Shards: 2, Replicas: 2);

    [Fact]
    public async Task Search_IsWhole_WhenEveryCopyOfAShardFirstFailsOnTheWay_AndThenAnswers()
    {
        // Shard 0's writer and replica both fail with a transport error on their first call (a dead silo's connection),
        // then answer: the shard must be in the answer, not missing from a partial one.
        var grains = new ScriptedCopies();
        grains.FailFirst(ShardKeys.For(Catalog, 0), new SiloUnavailableException("silo died"), times: 1);
        grains.FailFirst(ShardKeys.ForReplica(Catalog, 0, 1), new SiloUnavailableException("silo died"), times: 1);

        var result = await FanOut(grains).SearchAsync(TwoShardsTwoCopies, [1f, 0f], 4, null, CancellationToken.None);

        Assert.False(result.Partial);
        Assert.Equal(0, result.ShardsFailed);
        Assert.Contains(result.Hits, hit => hit.ProductId == $"{ShardKeys.For(Catalog, 0)}-hit" || hit.ProductId == $"{ShardKeys.ForReplica(Catalog, 0, 1)}-hit");
        Assert.True(grains.Calls(ShardKeys.For(Catalog, 0)) + grains.Calls(ShardKeys.ForReplica(Catalog, 0, 1)) >= 3);
    }

    [Fact]
    public async Task Search_IsWhole_WhenTheLiveCopysFirstCallIsNeverAnswered_AndTheOtherCopyIsUnreachable()
    {
        // The moment after a silo dies: the writer's silo refuses connections, and the call that was in flight to the
        // replica through the dead connection never comes back. The same call sent again is answered.
        var grains = new ScriptedCopies();
        grains.FailFirst(ShardKeys.For(Catalog, 0), new SiloUnavailableException("silo died"), times: int.MaxValue);
        grains.HangFirst(ShardKeys.ForReplica(Catalog, 0, 1), times: 1);

        var result = await FanOut(grains).SearchAsync(TwoShardsTwoCopies, [1f, 0f], 4, null, CancellationToken.None);

        Assert.False(result.Partial);
        Assert.Contains(result.Hits, hit => hit.ProductId == $"{ShardKeys.ForReplica(Catalog, 0, 1)}-hit");
        Assert.Equal(2, grains.Calls(ShardKeys.ForReplica(Catalog, 0, 1)));
    }

    [Fact]
    public async Task Search_IsPartial_WithoutRetrying_WhenTheShardsOwnCodeFails()
    {
        // An error the grain threw itself says the same on every copy and every round: asked once per copy, then missing.
        var grains = new ScriptedCopies();
        grains.FailFirst(ShardKeys.For(Catalog, 0), new InvalidOperationException("bad query"), times: int.MaxValue);
        grains.FailFirst(ShardKeys.ForReplica(Catalog, 0, 1), new InvalidOperationException("bad query"), times: int.MaxValue);

        var result = await FanOut(grains).SearchAsync(TwoShardsTwoCopies, [1f, 0f], 4, null, CancellationToken.None);

        Assert.True(result.Partial);
        Assert.Equal(1, result.ShardsFailed);
        Assert.Equal(1, grains.Calls(ShardKeys.For(Catalog, 0)));
        Assert.Equal(1, grains.Calls(ShardKeys.ForReplica(Catalog, 0, 1)));
    }

    [Fact]
    public async Task Search_IsPartial_AfterTheRetryRounds_WhenACopyStaysUnreachable()
    {
        var grains = new ScriptedCopies();
        grains.FailFirst(ShardKeys.For(Catalog, 0), new SiloUnavailableException("silo died"), times: int.MaxValue);
        grains.FailFirst(ShardKeys.ForReplica(Catalog, 0, 1), new SiloUnavailableException("silo died"), times: int.MaxValue);

        var result = await FanOut(grains).SearchAsync(TwoShardsTwoCopies, [1f, 0f], 4, null, CancellationToken.None);

        Assert.True(result.Partial);
        Assert.Equal(1, result.ShardsFailed);
        var rounds = 1 + SearchFanOut.TransientRetryRounds;
        Assert.Equal(rounds, grains.Calls(ShardKeys.For(Catalog, 0)));
        Assert.Equal(rounds, grains.Calls(ShardKeys.ForReplica(Catalog, 0, 1)));
    }

    private static SearchFanOut FanOut(ScriptedCopies grains) =>
        new(grains.Factory, Options.Create(new GatewayOptions()), Options.Create(new HedgingOptions()), NullLogger<SearchFanOut>.Instance);

    /// <summary>
    /// Grain references made with <see cref="DispatchProxy"/>: each shard copy answers one hit named after its key,
    /// unless told to fail its first calls.
    /// </summary>
    private sealed class ScriptedCopies
    {
        private readonly ConcurrentDictionary<string, (Exception Failure, int Times)> _failures = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _hangs = new(StringComparer.Ordinal);

        public ScriptedCopies()
        {
            Factory = DispatchProxy.Create<IGrainFactory, GrainFactoryProxy>();
            ((GrainFactoryProxy)Factory).Resolve = (type, key) => type == typeof(ICatalogShardGrain)
                ? Writer(key)
                : type == typeof(ICatalogShardReplicaGrain) ? Replica(key) : throw new NotSupportedException(type.Name);
        }

        public IGrainFactory Factory { get; }

        public void FailFirst(string key, Exception failure, int times) => _failures[key] = (failure, times);

        /// <summary>The first <paramref name="times"/> calls to the copy are never answered.</summary>
        public void HangFirst(string key, int times) => _hangs[key] = times;

        public int Calls(string key) => _calls.GetValueOrDefault(key);

        private object Writer(string key)
        {
            var writer = DispatchProxy.Create<ICatalogShardGrain, CopyProxy>();
            Func<Task<IReadOnlyList<ShardHit>>> search = async () => await Answer(key);
            ((CopyProxy)(object)writer).Answer = search;
            return writer;
        }

        private object Replica(string key)
        {
            var replica = DispatchProxy.Create<ICatalogShardReplicaGrain, CopyProxy>();
            Func<Task<ShardReplicaAnswer>> search = async () => new ShardReplicaAnswer(await Answer(key), 10);
            ((CopyProxy)(object)replica).Answer = search;
            return replica;
        }

        private Task<List<ShardHit>> Answer(string key)
        {
            var call = _calls.AddOrUpdate(key, 1, (_, calls) => calls + 1);
            if (_hangs.TryGetValue(key, out var hangs) && call <= hangs)
            {
                return new TaskCompletionSource<List<ShardHit>>().Task;
            }

            if (_failures.TryGetValue(key, out var failure) && call <= failure.Times)
            {
                return Task.FromException<List<ShardHit>>(failure.Failure);
            }

            return Task.FromResult<List<ShardHit>>([new ShardHit($"{key}-hit", 0.9f, 0, null, null)]);
        }
    }

    /// <summary>An <see cref="IGrainFactory"/> whose <c>GetGrain&lt;T&gt;(string key)</c> asks <see cref="Resolve"/>.</summary>
    public class GrainFactoryProxy : DispatchProxy
    {
        public Func<Type, string, object>? Resolve { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && args is [string key, ..]
                ? Resolve!(targetMethod.GetGenericArguments()[0], key)
                : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>A shard copy whose <c>SearchAsync</c> returns <see cref="Answer"/>'s task; nothing else is called.</summary>
    public class CopyProxy : DispatchProxy
    {
        public Func<Task>? Answer { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == "SearchAsync" ? Answer!() : throw new NotSupportedException(targetMethod?.Name);
    }
}
