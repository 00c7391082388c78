using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>A decoded graph blob: the snapshot it belongs to and the index's own bytes.</summary>
/// <param name="ReplayFromGeneration">The bound snapshot's <see cref="ShardSnapshot.ReplayFromGeneration"/>.</param>
/// <param name="SnapshotHash">The bound snapshot's XxHash64 trailer.</param>
/// <param name="Payload">The saved index, exactly as its owner wrote it.</param>
public sealed record ShardGraph(long ReplayFromGeneration, ulong SnapshotHash, ArraySegment<byte> Payload);

/// <summary>The fixed header of a graph blob: the snapshot it is bound to, and how long its payload is.</summary>
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
/// Little-endian throughout.
/// </remarks>
public static class ShardGraphCodec
{
    /// <summary>The only version this build writes and reads.</summary>
    public const ushort Version = 1;

    private const int HeaderBytes = 32;
    private const int TrailerBytes = sizeof(ulong);

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
    private static ReadOnlySpan<byte> Magic => "OFSG"u8;

    /// <summary>The graph blob for <paramref name="payload"/>, bound to one snapshot.</summary>
    public static byte[] Encode(long replayFromGeneration, ulong snapshotHash, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[HeaderBytes + payload.Length + TrailerBytes];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], replayFromGeneration);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], snapshotHash);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], payload.Length);
        payload.CopyTo(span[HeaderBytes..]);
        var end = HeaderBytes + payload.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span[end..], XxHash64.HashToUInt64(span[..end]));
        return buffer;
    }

    /// <summary>
    /// Writes to <paramref name="destination"/> the graph blob that <see cref="Encode"/> makes for
    /// the rest of <paramref name="payload"/> (from its position to its end), copying the payload
    /// through a 1 MiB buffer. Returns the bytes written.
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

    /// <summary>Reads a blob written by <see cref="Encode"/>; the payload is a slice of <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a graph blob, damaged, cut short, or of another version.</exception>
    public static ShardGraph Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var span = bytes.AsSpan();
        if (span.Length < HeaderBytes + TrailerBytes || !span.StartsWith(Magic))
        {
            throw new InvalidDataException($"Not a shard graph: {bytes.Length} bytes without the \"OFSG\" header.");
        }

        var stored = BinaryPrimitives.ReadUInt64LittleEndian(span[^TrailerBytes..]);
        var computed = XxHash64.HashToUInt64(span[..^TrailerBytes]);
        if (stored != computed)
        {
            throw new InvalidDataException($"Shard graph is damaged: its XxHash64 is {computed:x16} but {stored:x16} was stored ({bytes.Length} bytes).");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != Version)
        {
            throw new InvalidDataException($"Shard graph has format version {version}; this build reads version {Version}.");
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(span[24..]);
        if (length != span.Length - HeaderBytes - TrailerBytes)
        {
            throw new InvalidDataException($"Shard graph claims a {length}-byte payload in a {bytes.Length}-byte blob.");
        }

        return new ShardGraph(
            BinaryPrimitives.ReadInt64LittleEndian(span[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(span[16..]),
            new ArraySegment<byte>(bytes, HeaderBytes, (int)length));
    }

    /// <summary>A snapshot blob's identity: its XxHash64 trailer (see <see cref="ShardSnapshotCodec"/>).</summary>
    public static ulong SnapshotHash(ReadOnlySpan<byte> snapshotBytes) =>
        snapshotBytes.Length < TrailerBytes ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(snapshotBytes[^TrailerBytes..]);
}
