using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// Starts an ONNX Runtime session on the preferred execution provider (CUDA, falling back to CPU
/// under <see cref="ExecutionProviderPreference.Auto"/>) and logs one line saying where the model
/// runs and why. Shared by every ONNX embedder so they all choose and report providers alike.
/// </summary>
internal static partial class OnnxSession
{
    /// <summary>
    /// Starts <paramref name="model"/> (ONNX bytes) and logs the provider with the time since
    /// <paramref name="startedTimestamp"/> (a <see cref="Stopwatch"/> timestamp).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// <see cref="ExecutionProviderPreference.Cuda"/> was asked for and CUDA cannot start.
    /// </exception>
    public static (InferenceSession Session, string Provider) Start(
        byte[] model, string modelName, OnnxEmbedderOptions options, ILogger logger, long startedTimestamp)
    {
        var (session, provider, fallbackReason) = StartSession(model, options);
        var elapsedMs = (long)Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;
        if (provider == "CUDA")
        {
            Log.RunningOnCuda(logger, modelName, options.CudaDeviceId, options.ExecutionProvider, elapsedMs);
        }
        else if (fallbackReason is null)
        {
            Log.RunningOnCpuAsConfigured(logger, modelName, elapsedMs);
        }
        else
        {
            Log.RunningOnCpuAfterCudaFailed(logger, modelName, options.CudaDeviceId, fallbackReason, elapsedMs);
        }

        return (session, provider);
    }

    private static (InferenceSession Session, string Provider, string? FallbackReason) StartSession(byte[] model, OnnxEmbedderOptions options)
    {
        switch (options.ExecutionProvider)
        {
            case ExecutionProviderPreference.Cpu:
                return (NewSession(model, options, cuda: false), "CPU", null);

            case ExecutionProviderPreference.Cuda:
                try
                {
                    return (NewSession(model, options, cuda: true), "CUDA", null);
                }
                catch (Exception ex) when (IsCudaStartFailure(ex))
                {
                    throw new InvalidOperationException(
                        $"{nameof(OnnxEmbedderOptions.ExecutionProvider)} is Cuda but CUDA device {options.CudaDeviceId} could not be used: {ex.Message}",
                        ex);
                }

            default:
                try
                {
                    return (ProbeCuda(model, options), "CUDA", null);
                }
                catch (Exception ex) when (IsCudaStartFailure(ex))
                {
                    return (NewSession(model, options, cuda: false), "CPU", ex.Message);
                }
        }
    }

    /// <summary>
    /// Tries CUDA with ONNX Runtime's own console logger quietened. Under Auto a missing CUDA is
    /// expected, and the native library would otherwise print a red multi-line error to stderr on
    /// every CPU host; the exception still says why, and <see cref="Start"/> logs it in one line.
    /// The level is process-wide, so concurrent probes take turns and the previous level is put back.
    /// </summary>
    private static InferenceSession ProbeCuda(byte[] model, OnnxEmbedderOptions options)
    {
        lock (ProbeGate)
        {
            var environment = OrtEnv.Instance();
            var previous = environment.EnvLogLevel;
            environment.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            try
            {
                return NewSession(model, options, cuda: true);
            }
            finally
            {
                environment.EnvLogLevel = previous;
            }
        }
    }

    private static readonly Lock ProbeGate = new();

    /// <summary>
    /// Failures that mean "no usable CUDA here": the provider library or one of the CUDA/cuDNN
    /// libraries it needs is missing, or there is no such device.
    /// </summary>
    private static bool IsCudaStartFailure(Exception ex) =>
        ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException;

    private static InferenceSession NewSession(byte[] model, OnnxEmbedderOptions options, bool cuda)
    {
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        if (cuda)
        {
            // Nodes CUDA cannot run fall back to the CPU provider inside the same session.
            sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
        }

        return new InferenceSession(model, sessionOptions);
    }
}
