using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Cluster;

/// <summary>How the cluster evens out its shards. Bound from <c>Cluster:Rebalance</c>.</summary>
public sealed class ShardRebalanceOptions
{
    /// <summary>Whether shards move between silos at all. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the oldest silo looks at the spread and moves shards. Default: 20 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The most shards one round moves: a moving shard answers nothing while it reloads, so a join moves a
    /// few at a time rather than a catalog at once. Default: 4.
    /// </summary>
    public int MaxMovesPerRound { get; set; } = 4;
}

/// <summary>Fails start-up with a sentence naming the setting.</summary>
public sealed class ShardRebalanceOptionsValidator : IValidateOptions<ShardRebalanceOptions>
{
    public ValidateOptionsResult Validate(string? name, ShardRebalanceOptions options)
    {
        List<string> failures = [];
        if (options.Interval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Cluster:Rebalance:Interval is {options.Interval}; it must be at least 00:00:01.");
        }

        if (options.MaxMovesPerRound < 1)
        {
            failures.Add($"Cluster:Rebalance:MaxMovesPerRound is {options.MaxMovesPerRound}; it must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Moves shards so that every catalog is spread evenly over the silos allowed to hold shards: to a silo that
/// joined, off a GPU silo once a CPU silo is up. Every silo runs it; only the oldest active silo acts in a
/// round, so two silos never plan moves against each other. A silo that leaves needs nothing from it: its
/// shards reactivate wherever placement puts them on their next call, and later rounds even them out.
/// </summary>
internal sealed partial class ShardBalancer(
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    ISiloMetadataCache metadata,
    IOptions<ShardPlacementOptions> placement,
    IOptions<ShardRebalanceOptions> options,
    ILogger<ShardBalancer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunRoundAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // A round that fails (a silo dying mid-round) is retried on the next tick.
                LogRoundFailed(exception);
            }
        }
    }

    private async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(member => member.Status == SiloStatus.Active)
            .Select(member => member.SiloAddress).ToList();
        // The oldest silo (earliest start) acts; ties broken by address.
        var leader = active.OrderBy(silo => silo.Generation).ThenBy(silo => silo.ToString(), StringComparer.Ordinal).FirstOrDefault();
        if (leader is null || !leader.Equals(localSilo.SiloAddress))
        {
            return;
        }

        var management = grains.GetGrain<IManagementGrain>(0);
        var shardType = grains.GetGrain<ICatalogShardGrain>(ShardKeys.For("any", 0)).GetGrainId().Type;
        var activations = await management.GetDetailedGrainStatistics(null, [.. active]).WaitAsync(cancellationToken);
        var bySilo = activations.Where(activation => activation.GrainId.Type == shardType)
            .GroupBy(activation => activation.SiloAddress)
            .ToDictionary(group => group.Key.ToString(), group => (IReadOnlyList<string>)[.. group.Select(activation => activation.GrainId.Key.ToString()!)]);
        var allowed = ShardSilos.Choose(active, metadata.IsGpu, placement.Value.AvoidGpuSilos).OrderBy(silo => silo.ToString(), StringComparer.Ordinal).ToList();
        var moves = ShardSpread.Plan([.. allowed.Select(silo => silo.ToString())], bySilo, options.Value.MaxMovesPerRound);
        var silosByName = active.ToDictionary(silo => silo.ToString());
        foreach (var move in moves)
        {
            LogMoving(move.Shard, move.From, move.To);
            await grains.GetGrain<ICatalogShardGrain>(move.Shard).MoveToAsync(silosByName[move.To], cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Moving shard {Shard} from {From} to {To} to even out the spread")]
    private partial void LogMoving(string shard, string from, string to);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "A shard rebalancing round failed; the next round tries again")]
    private partial void LogRoundFailed(Exception exception);
}
