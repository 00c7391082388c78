namespace OutfitFinder.Core.Extraction;

/// <summary>Where an ONNX model should run.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>CUDA when its libraries and a device are there, otherwise CPU.</summary>
    Auto,

    /// <summary>CUDA only; creating the embedder fails when CUDA cannot start.</summary>
    Cuda,

    /// <summary>CPU only, even where a GPU is present.</summary>
    Cpu,
}
