using Microsoft.Extensions.Options;

namespace OutfitFinder.Core.Extraction;

/// <summary>How <see cref="EmbeddingBatcher"/> groups concurrent requests into model calls.</summary>
public sealed class EmbeddingBatcherOptions
{
    /// <summary>Most images in one model call. Default: 16.</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// How long a batch that is not full may wait for more requests after its first one was taken.
    /// Zero takes only what is already queued, so a lone request adds no latency; under load the
    /// queue fills while the previous call runs and batches form by themselves.
    /// Default: <see cref="TimeSpan.Zero"/>.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.Zero;
}

/// <summary>Fails start-up with a sentence naming the bad <see cref="EmbeddingBatcherOptions"/> setting.</summary>
public sealed class EmbeddingBatcherOptionsValidator : IValidateOptions<EmbeddingBatcherOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EmbeddingBatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxBatchSize < 1)
        {
            failures.Add($"{nameof(EmbeddingBatcherOptions.MaxBatchSize)} must be 1 or more, not {options.MaxBatchSize}.");
        }

        if (options.MaxDelay < TimeSpan.Zero || options.MaxDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{nameof(EmbeddingBatcherOptions.MaxDelay)} must be between 0 and 10 s, not {options.MaxDelay}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
