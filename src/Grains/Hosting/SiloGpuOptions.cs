using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Hosting;

/// <summary>Whether this silo advertises a GPU. Bound from <c>Extraction</c>.</summary>
public sealed class SiloGpuOptions
{
    /// <summary>
    /// <c>auto</c> (advertise <c>gpu=true</c> when the CUDA driver library loads), <c>true</c> or
    /// <c>false</c>, in any letter case. Default: <c>auto</c>.
    /// </summary>
    public string Gpu { get; set; } = "auto";
}

/// <summary>Fails start-up with a sentence naming <c>Extraction:Gpu</c> when it is not auto, true or false.</summary>
public sealed class SiloGpuOptionsValidator : IValidateOptions<SiloGpuOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SiloGpuOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Gpu?.Trim().ToLowerInvariant() is "auto" or "true" or "false"
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Extraction:Gpu is '{options.Gpu}'; use auto, true or false.");
    }
}
