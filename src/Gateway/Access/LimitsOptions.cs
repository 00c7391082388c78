using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Access;

/// <summary>A token bucket: a steady rate and the burst a quiet caller may spend at once.</summary>
public sealed class ScopeRateLimit
{
    /// <summary>Requests added to the bucket each second.</summary>
    public int PerSecond { get; set; }

    /// <summary>Largest number of requests the bucket holds (the burst).</summary>
    public int Burst { get; set; }
}

/// <summary>
/// How much one key may ask of the cluster. Bound from <c>Limits</c>. Rates apply per key and per
/// scope, so a retailer's bulk writes never use up its storefront's searches; with
/// <c>Auth:Mode=None</c> there are no keys to tell callers apart, and rates do not apply.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>Searches and reads per key. Default: 50 per second, bursts of 100.</summary>
    public ScopeRateLimit Search { get; set; } = new() { PerSecond = 50, Burst = 100 };

    /// <summary>Product writes per key. Default: 20 per second, bursts of 40.</summary>
    public ScopeRateLimit Write { get; set; } = new() { PerSecond = 20, Burst = 40 };

    /// <summary>Ingestion calls per key. Default: 2 per second, bursts of 10.</summary>
    public ScopeRateLimit Ingest { get; set; } = new() { PerSecond = 2, Burst = 10 };

    /// <summary>Admin calls per key. Default: 5 per second, bursts of 20.</summary>
    public ScopeRateLimit Admin { get; set; } = new() { PerSecond = 5, Burst = 20 };

    /// <summary>
    /// Searches by photo one key may have running at once; each holds an extractor's time, so this
    /// caps what one caller takes from the shared models. Default: 4.
    /// </summary>
    public int ImageSearchConcurrency { get; set; } = 4;

    /// <summary>
    /// Most products a catalog may hold: a write that would add one more is refused with 409 (a
    /// replacement of an existing product is not). Keys may set a lower quota of their own.
    /// Default: none.
    /// </summary>
    public long? MaxProductsPerCatalog { get; set; }

    /// <summary>The bucket of <paramref name="scope"/>.</summary>
    public ScopeRateLimit For(ApiScope scope) => scope switch
    {
        ApiScope.Search => Search,
        ApiScope.Write => Write,
        ApiScope.Ingest => Ingest,
        _ => Admin,
    };
}

/// <summary>Fails start-up with a sentence naming the <c>Limits</c> setting to fix.</summary>
public sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var scope in ApiScopes.All)
        {
            var limit = options.For(scope);
            var setting = $"Limits:{scope}";
            if (limit.PerSecond < 1)
            {
                failures.Add($"{setting}:PerSecond is {limit.PerSecond}; it must be at least 1.");
            }

            if (limit.Burst < 1)
            {
                failures.Add($"{setting}:Burst is {limit.Burst}; it must be at least 1.");
            }
        }

        if (options.ImageSearchConcurrency < 1)
        {
            failures.Add($"Limits:ImageSearchConcurrency is {options.ImageSearchConcurrency}; it must be at least 1.");
        }

        if (options.MaxProductsPerCatalog is < 1)
        {
            failures.Add($"Limits:MaxProductsPerCatalog is {options.MaxProductsPerCatalog}; it must be at least 1, or left unset for no quota.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
