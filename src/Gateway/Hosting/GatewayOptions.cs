using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Hosting;

/// <summary>Limits and deadlines of the public API. Bound from <c>Gateway</c>.</summary>
public sealed class GatewayOptions
{
    /// <summary>How long a search waits for all shards before answering with what it has (<c>partial: true</c>). Default: 5 s.</summary>
    public TimeSpan SearchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest request body accepted, in bytes. Default: 100 MB (104,857,600).</summary>
    public long MaxRequestBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Most shop images one product may have. Default: 16.</summary>
    public int MaxImagesPerProduct { get; set; } = 16;

    /// <summary>Largest <c>k</c> a search may ask for. Default: 1000.</summary>
    public int MaxK { get; set; } = 1000;

    /// <summary>Most shards a catalog may have. Default: 256.</summary>
    public int MaxShards { get; set; } = 256;

    /// <summary>
    /// How long the gateway uses a catalog's cached definition before asking for it again: the time within which
    /// a replica count changed through another gateway reaches this one's searches. Default: 5 s.
    /// </summary>
    public TimeSpan CatalogRefresh { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Fails start-up with a sentence naming the <c>Gateway</c> setting to fix.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SearchTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Gateway:SearchTimeout is {options.SearchTimeout}; it must be positive (for example 00:00:05).");
        }

        if (options.MaxRequestBytes < 1)
        {
            failures.Add($"Gateway:MaxRequestBytes is {options.MaxRequestBytes}; it must be a positive number of bytes.");
        }

        if (options.CatalogRefresh <= TimeSpan.Zero)
        {
            failures.Add($"Gateway:CatalogRefresh is {options.CatalogRefresh}; it must be positive (for example 00:00:05).");
        }

        AtLeastOne(options.MaxImagesPerProduct, "Gateway:MaxImagesPerProduct", failures);
        AtLeastOne(options.MaxK, "Gateway:MaxK", failures);
        AtLeastOne(options.MaxShards, "Gateway:MaxShards", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeastOne(int value, string setting, List<string> failures)
    {
        if (value < 1)
        {
            failures.Add($"{setting} is {value}; it must be at least 1.");
        }
    }
}
