using Microsoft.Extensions.Options;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// When a catalog shard folds its log into a snapshot. A shard compacts when its current log
/// generation reaches either limit. Bound from <c>Storage:Compaction</c>.
/// </summary>
public sealed class ShardCompactionOptions
{
    /// <summary>Log size that triggers compaction, in bytes. Default: 67108864 (64 MiB).</summary>
    public long LogBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Log records that trigger compaction. Default: 1000000.</summary>
    public long LogRecords { get; set; } = 1_000_000;

    /// <summary>
    /// Appends to the current log that trigger compaction. Default: 40000, below the 50,000 appends
    /// an Azure append blob takes, so a shard written one product at a time never hits that wall.
    /// </summary>
    public long LogAppends { get; set; } = 40_000;
}

/// <summary>Fails start-up with a sentence naming the <c>Storage:Compaction</c> setting to fix.</summary>
public sealed class ShardCompactionOptionsValidator : IValidateOptions<ShardCompactionOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ShardCompactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.LogBytes < 1)
        {
            failures.Add($"Storage:Compaction:LogBytes is {options.LogBytes}; it must be a positive number of bytes.");
        }

        if (options.LogRecords < 1)
        {
            failures.Add($"Storage:Compaction:LogRecords is {options.LogRecords}; it must be a positive number of records.");
        }

        if (options.LogAppends is < 1 or > 49_000)
        {
            failures.Add($"Storage:Compaction:LogAppends is {options.LogAppends}; it must be between 1 and 49,000 (an Azure append blob takes at most 50,000 appends).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
