using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Extraction;

internal static partial class OnnxSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
            Message = "Model {Model} runs on CUDA device {CudaDeviceId} (ExecutionProvider {Preference}); loaded in {ElapsedMs} ms")]
        public static partial void RunningOnCuda(ILogger logger, string model, int cudaDeviceId, ExecutionProviderPreference preference, long elapsedMs);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
            Message = "Model {Model} runs on CPU because ExecutionProvider is Cpu; loaded in {ElapsedMs} ms")]
        public static partial void RunningOnCpuAsConfigured(ILogger logger, string model, long elapsedMs);

        // Information, not a warning: under ExecutionProvider Auto a host without CUDA running on CPU is the expected case.
        [LoggerMessage(EventId = 2003, Level = LogLevel.Information,
            Message = "Model {Model} runs on CPU because CUDA device {CudaDeviceId} could not be used ({Reason}); loaded in {ElapsedMs} ms")]
        public static partial void RunningOnCpuAfterCudaFailed(ILogger logger, string model, int cudaDeviceId, string reason, long elapsedMs);
    }
}
