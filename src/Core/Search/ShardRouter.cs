using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace OutfitFinder.Core.Search;

/// <summary>Which shard owns a product: a stable hash of its id modulo the shard count.</summary>
/// <remarks>
/// This function decides where data lives. Once a catalog exists, changing it (another hash, another
/// seed, another encoding, another reduction than <c>mod</c>) silently sends reads and upserts to shards
/// that do not hold the product: searches still answer, but products vanish and duplicates appear.
/// It must never change; a different placement needs a new catalog and a re-ingest. The tests pin
/// known outputs so that an accidental change fails the build.
/// </remarks>
public static class ShardRouter
{
    // Ids whose UTF-8 form may exceed this many bytes are encoded into a pooled array instead of the stack.
    private const int StackIdBytes = 256;

    /// <summary>
    /// Same answer on every machine and every run (never <see cref="string.GetHashCode()"/>):
    /// XxHash32 (seed 0) of the id's UTF-8 bytes, as an unsigned number, modulo <paramref name="shardCount"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is less than 1.</exception>
    public static int ShardOf(string productId, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(productId);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);

        var maxBytes = Encoding.UTF8.GetMaxByteCount(productId.Length);
        var rented = maxBytes > StackIdBytes ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        var buffer = rented is null ? stackalloc byte[StackIdBytes] : rented;
        try
        {
            var written = Encoding.UTF8.GetBytes(productId, buffer);
            return (int)(XxHash32.HashToUInt32(buffer[..written]) % (uint)shardCount);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
