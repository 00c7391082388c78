using System.Runtime.InteropServices;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// Answers "does this machine have a usable NVIDIA driver?" without starting ONNX Runtime: the
/// CUDA driver library loads only where a driver is installed. The embedder still decides on its
/// own which execution provider it gets; this only sets the silo's advertised <c>gpu</c> flag.
/// </summary>
public static class GpuDetector
{
    public static bool IsGpuAdvertised(string setting) => setting.Trim().ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        "auto" => CudaDriverLoads(),
        _ => throw new ArgumentException($"Extraction:Gpu is '{setting}'; use auto, true or false."),
    };

    private static bool CudaDriverLoads()
    {
        var name = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        if (!NativeLibrary.TryLoad(name, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }
}
