using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Search;

/// <summary>How a search spreads over a shard's copies and asks another when one is slow. Bound from <c>Gateway:Hedging</c>.</summary>
public sealed class HedgingOptions
{
    /// <summary>Whether a slow copy's answer is hedged by asking the shard's next copy. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The hedge delay is this many times the shard's observed median answer time. Default: 3.</summary>
    public double Multiplier { get; set; } = 3;

    /// <summary>The shortest hedge delay, so that a fast shard's small jitter does not double its load. Default: 50 ms.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest hedge delay, also used until a shard has answered enough searches to have a median. Default: 1 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a copy that failed, or was overtaken by a hedge, is asked last: a copy on a silo killed a moment ago
    /// hangs until membership declares the silo dead, and later searches should not each wait a hedge delay for it.
    /// Default: 5 s.
    /// </summary>
    public TimeSpan SuspectFor { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Fails start-up with a sentence naming the <c>Gateway:Hedging</c> setting to fix.</summary>
public sealed class HedgingOptionsValidator : IValidateOptions<HedgingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, HedgingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (!(options.Multiplier >= 1) || !double.IsFinite(options.Multiplier))
        {
            failures.Add($"Gateway:Hedging:Multiplier is {options.Multiplier}; it must be a number of at least 1.");
        }

        if (options.MinDelay <= TimeSpan.Zero)
        {
            failures.Add($"Gateway:Hedging:MinDelay is {options.MinDelay}; it must be positive (for example 00:00:00.05).");
        }

        if (options.MaxDelay < options.MinDelay)
        {
            failures.Add($"Gateway:Hedging:MaxDelay is {options.MaxDelay}; it must be at least Gateway:Hedging:MinDelay ({options.MinDelay}).");
        }

        if (options.SuspectFor < TimeSpan.Zero)
        {
            failures.Add($"Gateway:Hedging:SuspectFor is {options.SuspectFor}; it must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
