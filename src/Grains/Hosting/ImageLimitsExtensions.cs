using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Images;

namespace OutfitFinder.Grains.Hosting;

/// <summary>What images the cluster decodes, bound from <c>Images</c> once for the silo and the gateway.</summary>
public static class ImageLimitsExtensions
{
    /// <summary>
    /// Registers <see cref="ImageLimits"/> from <c>Images:*</c>, validated at start. Calling it
    /// again (the gateway and its embedded silo share one container) adds nothing.
    /// </summary>
    public static IServiceCollection AddOutfitFinderImageLimits(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(service => service.ServiceType == typeof(IValidateOptions<ImageLimits>)))
        {
            return services;
        }

        services.AddOptions<ImageLimits>().Bind(configuration.GetSection("Images")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImageLimits>, ImageLimitsValidator>();
        return services;
    }
}

/// <summary>Fails start-up with a sentence naming the <c>Images</c> setting to fix.</summary>
public sealed class ImageLimitsValidator : IValidateOptions<ImageLimits>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ImageLimits options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxBytes < 1)
        {
            failures.Add($"Images:MaxBytes is {options.MaxBytes}; it must be at least 1 byte.");
        }

        if (options.MaxPixels < 1)
        {
            failures.Add($"Images:MaxPixels is {options.MaxPixels}; it must be at least 1 pixel.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
