using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Shards.Files;

public sealed partial class ShardLog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
            Message = "Shard log {LogPath} has a damaged tail ({Damage}): kept {ValidLengthBytes} of {TotalLengthBytes} bytes ({RecordCount} records), cut {DiscardedBytes} bytes and copied them to {DiscardedTailPath}")]
        public static partial void DamagedTailCut(ILogger logger, string logPath, ShardLogDamage damage,
            long validLengthBytes, long totalLengthBytes, long discardedBytes, int recordCount, string discardedTailPath);
    }
}
