using Microsoft.Extensions.Options;

namespace OutfitFinder.Core.Extraction;

/// <summary>Where the ONNX image models are and where they run.</summary>
public sealed class OnnxEmbedderOptions
{
    /// <summary>
    /// Folder holding the models, one sub-folder per model (<c>ResNet18Onnx/ResNet18.onnx</c>,
    /// <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>). A relative path is resolved against
    /// <see cref="AppContext.BaseDirectory"/>, where every build that references Core copies them.
    /// Default: <c>Models</c>.
    /// </summary>
    public string ModelDirectory { get; set; } = "Models";

    /// <summary>Execution provider to use. Default: <see cref="ExecutionProviderPreference.Auto"/>.</summary>
    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    /// <summary>CUDA device ordinal used when the model runs on CUDA. Default: 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Threads ONNX Runtime uses inside one model call on CPU; 0 lets it choose (one per physical
    /// core). Default: 0.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary><see cref="ModelDirectory"/> as an absolute path.</summary>
    internal string ResolvedModelDirectory => Path.GetFullPath(ModelDirectory, AppContext.BaseDirectory);
}

/// <summary>Fails start-up with a sentence naming the bad <see cref="OnnxEmbedderOptions"/> setting.</summary>
public sealed class OnnxEmbedderOptionsValidator : IValidateOptions<OnnxEmbedderOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OnnxEmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelDirectory))
        {
            failures.Add($"{nameof(OnnxEmbedderOptions.ModelDirectory)} must name a folder.");
        }

        if (!Enum.IsDefined(options.ExecutionProvider))
        {
            failures.Add($"{nameof(OnnxEmbedderOptions.ExecutionProvider)} must be Auto, Cuda or Cpu, not {options.ExecutionProvider}.");
        }

        if (options.CudaDeviceId < 0)
        {
            failures.Add($"{nameof(OnnxEmbedderOptions.CudaDeviceId)} must be 0 or more, not {options.CudaDeviceId}.");
        }

        if (options.IntraOpThreads < 0)
        {
            failures.Add($"{nameof(OnnxEmbedderOptions.IntraOpThreads)} must be 0 (automatic) or more, not {options.IntraOpThreads}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
