using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>The fixed header of a graph blob: the snapshot it is bound to, and how long its payload is.</summary>
/// <param name="ReplayFromGeneration">The bound snapshot's <see cref="ShardSnapshotHeader.ReplayFromGeneration"/>.</param>
/// <param name="SnapshotHash">The bound snapshot's XxHash64 trailer.</param>
/// <param name="PayloadLength">Bytes of the saved index, exactly as its owner wrote it, between the header and the trailer.</param>
public readonly record struct ShardGraphHeader(long ReplayFromGeneration, ulong SnapshotHash, long PayloadLength);

/// <summary>
/// Binary form of a shard's saved search graph, written next to its snapshot and bound to it: a
/// graph is only loaded over the snapshot whose generation and checksum it names, so a graph left
/// from an older snapshot (a crash between the two writes) or a damaged one is refused and the
/// shard rebuilds it from its vectors. Nothing is lost either way: the graph holds no data that the
/// snapshot and log do not.
/// </summary>
/// <remarks>
/// <code>
/// header  = magic "OFSG"  version:u16 (1)  reserved:u16 (0)  replayFromGeneration:i64
///           snapshotHash:u64  payloadLength:i64                                     (32 bytes)
/// payload = payloadLength bytes: the index's own saved form (HnswIndex.Save)
/// trailer = xxhash64:u64 of every byte before it
/// </code>
/// Little-endian throughout. The payload is streamed both ways (<see cref="WriteAsync"/>, and
/// <see cref="ShardStore.ReadGraphAsync(Stream, CancellationToken)"/> after <see cref="ReadHeader"/>),
/// so a graph of any size is never held whole.
/// </remarks>
public static class ShardGraphCodec
{
    /// <summary>The only version this build writes and reads.</summary>
    public const ushort Version = 1;

    private const int HeaderBytes = 32;
    private const int TrailerBytes = sizeof(ulong);
    private static ReadOnlySpan<byte> Magic => "OFSG"u8;

    /// <summary>Bytes of the header, before the payload.</summary>
    public const int HeaderLength = HeaderBytes;

    /// <summary>Bytes of the trailer (the checksum), after the payload.</summary>
    public const int TrailerLength = TrailerBytes;

    /// <summary>Reads the header that starts a graph blob (the checksum covers it but is only known at the end).</summary>
    /// <exception cref="InvalidDataException">Not a graph blob's header, or of another version, or an impossible length.</exception>
    public static ShardGraphHeader ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderBytes || !header.StartsWith(Magic))
        {
            throw new InvalidDataException("Not a shard graph: the blob does not start with the \"OFSG\" header.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"Shard graph has format version {version}; this build reads version {Version}.");
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (length < 0)
        {
            throw new InvalidDataException($"Shard graph claims a {length}-byte payload.");
        }

        return new ShardGraphHeader(
            BinaryPrimitives.ReadInt64LittleEndian(header[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
            length);
    }

    /// <summary>
    /// Writes to <paramref name="destination"/> the graph blob for the rest of <paramref name="payload"/>
    /// (from its position to its end), bound to the snapshot of <paramref name="replayFromGeneration"/>
    /// whose trailer hash is <paramref name="snapshotHash"/>, copying the payload through a 1 MiB
    /// buffer. Returns the bytes written.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="payload"/> cannot tell its length (it must be seekable).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="payload"/> ended before the length it gave; the trailer is not written.</exception>
    public static async Task<long> WriteAsync(Stream destination, long replayFromGeneration, ulong snapshotHash, Stream payload,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(payload);
        if (!payload.CanSeek)
        {
            throw new ArgumentException("The graph payload must be a seekable stream: its length goes in the header, before it.", nameof(payload));
        }

        var length = payload.Length - payload.Position;
        var hash = new XxHash64();
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(HeaderBytes + length, 1024 * 1024));
        try
        {
            Magic.CopyTo(buffer);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), Version);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(6), 0);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(8), replayFromGeneration);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(16), snapshotHash);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(24), length);
            hash.Append(buffer.AsSpan(0, HeaderBytes));
            await destination.WriteAsync(buffer.AsMemory(0, HeaderBytes), cancellationToken).ConfigureAwait(false);
            for (long copied = 0; copied < length;)
            {
                var read = await payload.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - copied)), cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    throw new InvalidOperationException($"The graph payload ended after {copied} of the {length} bytes it announced.");
                }

                hash.Append(buffer.AsSpan(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied += read;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(buffer, hash.GetCurrentHashAsUInt64());
            await destination.WriteAsync(buffer.AsMemory(0, TrailerBytes), cancellationToken).ConfigureAwait(false);
            return HeaderBytes + length + TrailerBytes;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
