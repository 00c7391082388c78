using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Extraction;

public sealed partial class EmbeddingBatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Debug,
            Message = "Embedded a batch of {BatchSize} images in {ElapsedMs} ms")]
        public static partial void BatchEmbedded(ILogger logger, int batchSize, double elapsedMs);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Error,
            Message = "Model call for a batch of {BatchSize} images failed; each of its requests gets the exception")]
        public static partial void BatchFailed(ILogger logger, int batchSize, Exception exception);
    }
}
