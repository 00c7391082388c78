using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>Why <see cref="ShardLogReader"/> stopped before the end of a log.</summary>
public enum ShardLogDamage
{
    /// <summary>Every byte belongs to a good record.</summary>
    None,
    /// <summary>Fewer bytes are left than a frame header, or than the length it declares: an append cut short.</summary>
    TruncatedFrame,
    /// <summary>The frame does not start with a known marker: garbage, or a format this build does not read.</summary>
    UnknownFormat,
    /// <summary>The declared payload length is zero, negative or above <see cref="ShardLogCodec.MaxPayloadBytes"/>.</summary>
    BadLength,
    /// <summary>The payload's CRC-32 does not match the stored one.</summary>
    ChecksumMismatch,
    /// <summary>The checksum matches but the payload does not parse (unknown kind, inconsistent lengths, bad UTF-8).</summary>
    MalformedPayload,
}

/// <summary>
/// What <see cref="ShardLogReader.Read"/> found: the records of the longest good prefix, and
/// whether anything after it had to be left out.
/// </summary>
/// <param name="Records">Good records, in log order.</param>
/// <param name="ValidLengthBytes">Bytes taken by <paramref name="Records"/>; the log should be cut to this.</param>
/// <param name="TotalLengthBytes">Bytes in the log as read.</param>
/// <param name="Damage">Why reading stopped early; <see cref="ShardLogDamage.None"/> when it did not.</param>
public sealed record ShardLogReadResult(
    IReadOnlyList<ShardLogRecord> Records,
    long ValidLengthBytes,
    long TotalLengthBytes,
    ShardLogDamage Damage)
{
    /// <summary>True when bytes after <see cref="ValidLengthBytes"/> were not a good record.</summary>
    public bool HasDamagedTail => Damage != ShardLogDamage.None;
}

/// <summary>
/// Parses a whole shard log. Never throws for damaged data: it stops at the first frame that is
/// short, mislabelled or fails its checksum and reports how many bytes were good.
/// </summary>
/// <remarks>
/// Everything after the first bad frame is dropped, even frames that would check out: a
/// frame boundary after damage cannot be trusted, and replaying records out of order past a gap
/// would rebuild a state the shard never had.
/// </remarks>
public static class ShardLogReader
{
    /// <summary>Reads <paramref name="log"/> from its start.</summary>
    public static ShardLogReadResult Read(ReadOnlySpan<byte> log)
    {
        var records = new List<ShardLogRecord>();
        var offset = 0;
        var damage = ShardLogDamage.None;
        while (offset < log.Length)
        {
            damage = TryReadFrame(log[offset..], out var record, out var frameLength);
            if (damage != ShardLogDamage.None)
            {
                break;
            }

            records.Add(record!);
            offset += frameLength;
        }

        return new ShardLogReadResult(records, offset, log.Length, damage);
    }

    private static ShardLogDamage TryReadFrame(ReadOnlySpan<byte> bytes, out ShardLogRecord? record, out int frameLength)
    {
        record = null;
        frameLength = 0;
        if (bytes[0] != ShardLogCodec.FrameMarkerV1)
        {
            return ShardLogDamage.UnknownFormat;
        }

        if (bytes.Length < ShardLogCodec.HeaderBytes)
        {
            return ShardLogDamage.TruncatedFrame;
        }

        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]);
        if (payloadLength is <= 0 or > ShardLogCodec.MaxPayloadBytes)
        {
            return ShardLogDamage.BadLength;
        }

        frameLength = ShardLogCodec.FrameOverheadBytes + payloadLength;
        if (bytes.Length < frameLength)
        {
            return ShardLogDamage.TruncatedFrame;
        }

        var payload = bytes.Slice(ShardLogCodec.HeaderBytes, payloadLength);
        var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(ShardLogCodec.HeaderBytes + payloadLength)..]);
        if (Crc32.HashToUInt32(payload) != storedCrc)
        {
            return ShardLogDamage.ChecksumMismatch;
        }

        record = ParsePayload(payload);
        return record is null ? ShardLogDamage.MalformedPayload : ShardLogDamage.None;
    }

    private static ShardLogRecord? ParsePayload(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload);
        if (!reader.TryReadByte(out var kind) || !reader.TryReadString(out var productId) || productId is null)
        {
            return null;
        }

        switch (kind)
        {
            case ShardLogCodec.DeleteKind:
                return reader.AtEnd ? new ProductDeleted(productId) : null;
            case ShardLogCodec.UpsertKind:
                if (!reader.TryReadString(out var category)
                    || !reader.TryReadString(out var metadata)
                    || !reader.TryReadInt32(out var imageCount)
                    || !reader.TryReadInt32(out var floatCount)
                    || !reader.TryReadFloats(floatCount, out var vectors)
                    || !reader.AtEnd)
                {
                    return null;
                }

                var rowsAreWhole = imageCount == 0
                    ? floatCount == 0
                    : imageCount > 0 && floatCount >= imageCount && floatCount % imageCount == 0;
                return rowsAreWhole ? new ProductUpserted(productId, category, metadata, imageCount, vectors) : null;
            default:
                return null;
        }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> source)
    {
        private readonly ReadOnlySpan<byte> _source = source;
        private int _position;

        public readonly bool AtEnd => _position == _source.Length;

        private readonly int Remaining => _source.Length - _position;

        public bool TryReadByte(out byte value)
        {
            value = 0;
            if (Remaining < 1)
            {
                return false;
            }

            value = _source[_position++];
            return true;
        }

        public bool TryReadInt32(out int value)
        {
            value = 0;
            if (Remaining < sizeof(int))
            {
                return false;
            }

            value = BinaryPrimitives.ReadInt32LittleEndian(_source[_position..]);
            _position += sizeof(int);
            return true;
        }

        public bool TryReadString(out string? value)
        {
            value = null;
            if (!TryReadInt32(out var byteCount))
            {
                return false;
            }

            if (byteCount == ShardLogCodec.NullStringLength)
            {
                return true;
            }

            if (byteCount < 0 || byteCount > Remaining)
            {
                return false;
            }

            var bytes = _source.Slice(_position, byteCount);
            if (!Utf8.IsValid(bytes))
            {
                return false;
            }

            value = Encoding.UTF8.GetString(bytes);
            _position += byteCount;
            return true;
        }

        public bool TryReadFloats(int count, out float[] values)
        {
            values = [];
            if (count < 0 || count > Remaining / sizeof(float))
            {
                return false;
            }

            values = new float[count];
            var bytes = _source.Slice(_position, count * sizeof(float));
            if (BitConverter.IsLittleEndian)
            {
                bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
                }
            }

            _position += bytes.Length;
            return true;
        }
    }
}
