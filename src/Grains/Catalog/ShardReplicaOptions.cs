using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Catalog;

/// <summary>How read replicas keep up and stay apart. Bound from <c>Cluster:Replicas</c>.</summary>
public sealed class ShardReplicaOptions
{
    /// <summary>
    /// How often a replica reads its shard's log from storage when no notice from the writer came: the lag it can
    /// reach while the writer's silo is dead. Default: 1 second.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a shard's writer checks that its replicas run and sit on silos apart from it and each other, and
    /// picks up a changed replica count. Default: 10 seconds.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Fails start-up with a sentence naming the setting.</summary>
public sealed class ShardReplicaOptionsValidator : IValidateOptions<ShardReplicaOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ShardReplicaOptions options)
    {
        List<string> failures = [];
        if (options.PollInterval < TimeSpan.FromMilliseconds(50))
        {
            failures.Add($"Cluster:Replicas:PollInterval is {options.PollInterval}; it must be at least 00:00:00.05.");
        }

        if (options.CheckInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Cluster:Replicas:CheckInterval is {options.CheckInterval}; it must be at least 00:00:01.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
