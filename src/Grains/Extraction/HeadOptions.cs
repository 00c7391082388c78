using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Extraction;

/// <summary>Where learned metric heads are found. Bound from <c>Extraction</c>.</summary>
public sealed class HeadOptions
{
    /// <summary>
    /// Folder of head files made by <c>outfit train</c>: the model <c>resnet18+shoes</c> uses
    /// <c>shoes.head</c> from it. A relative path is taken from the process's working folder. The
    /// folder need not exist; without it no <c>base+head</c> model is served.
    /// Default: <c>heads</c>.
    /// </summary>
    public string HeadsFolder { get; set; } = "heads";
}

/// <summary>Fails start-up with the setting's name when <c>Extraction:HeadsFolder</c> cannot name a folder.</summary>
internal sealed class HeadOptionsValidator : IValidateOptions<HeadOptions>
{
    public ValidateOptionsResult Validate(string? name, HeadOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HeadsFolder))
        {
            return ValidateOptionsResult.Fail("Extraction:HeadsFolder must name a folder.");
        }

        if (options.HeadsFolder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            return ValidateOptionsResult.Fail($"Extraction:HeadsFolder '{options.HeadsFolder}' contains characters a path cannot hold.");
        }

        if (File.Exists(options.HeadsFolder))
        {
            return ValidateOptionsResult.Fail($"Extraction:HeadsFolder '{options.HeadsFolder}' is a file; it must name a folder.");
        }

        return ValidateOptionsResult.Success;
    }
}
