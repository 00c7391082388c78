using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace OutfitFinder.Core.Shards.Files;

/// <summary>
/// Binary form of <see cref="ShardLogRecord"/>s. Each record is one self-checking frame, so a
/// reader can tell where the last complete record ends after a crash cut an append short.
/// </summary>
/// <remarks>
/// <code>
/// frame   = marker:u8  length:i32  payload[length]  crc:u32      (crc = CRC-32 of payload)
/// payload = kind:u8 body
///   kind 1, upsert: id:str  category:str?  metadata:str?  imageCount:i32  floatCount:i32  floats:f32[floatCount]
///   kind 2, delete: id:str
/// str     = byteCount:i32 utf8[byteCount]          str? = the same, byteCount -1 for null
/// </code>
/// Integers and floats are little-endian; floats are copied as one block. Example: deleting
/// product "a" is <c>C1 06000000 02 01000000 61 crc32(02 01000000 61)</c>, 15 bytes.
/// </remarks>
public static class ShardLogCodec
{
    /// <summary>
    /// First byte of every version-1 frame. Neither 0x00 nor 0xFF, the values a zero-filled or
    /// erased tail shows, so such a tail never passes for the start of a frame.
    /// </summary>
    public const byte FrameMarkerV1 = 0xC1;

    /// <summary>Marker, length and CRC around each payload, in bytes.</summary>
    public const int FrameOverheadBytes = HeaderBytes + TrailerBytes;

    /// <summary>
    /// Largest payload written or accepted, in bytes (64 MiB: a product with 1,000 images of
    /// 4,096 floats is 16 MiB). A larger declared length is treated as damage, not allocated.
    /// </summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    internal const int HeaderBytes = 1 + sizeof(int);
    internal const int TrailerBytes = sizeof(uint);
    internal const byte UpsertKind = 1;
    internal const byte DeleteKind = 2;
    internal const int NullStringLength = -1;

    // Strict so that a string with a lone surrogate is refused instead of silently stored as
    // U+FFFD, which would make two different product ids read back as the same one.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bytes <paramref name="record"/> takes as a frame.</summary>
    /// <exception cref="ArgumentException">The record cannot be written (see <see cref="WriteFrame"/>).</exception>
    public static int GetFrameLength(ShardLogRecord record) => FrameOverheadBytes + GetPayloadLength(record);

    /// <summary>One frame holding <paramref name="record"/>.</summary>
    public static byte[] Encode(ShardLogRecord record)
    {
        var frame = new byte[GetFrameLength(record)];
        WriteFrame(record, frame);
        return frame;
    }

    /// <summary>The frames of <paramref name="records"/>, back to back, in order.</summary>
    public static byte[] Encode(IReadOnlyList<ShardLogRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        long total = 0;
        foreach (var record in records)
        {
            total += GetFrameLength(record);
        }

        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"The batch's {records.Count} records take {total} bytes, more than one buffer holds; write them in smaller batches.", nameof(records));
        }

        var buffer = new byte[total];
        var offset = 0;
        foreach (var record in records)
        {
            offset += WriteFrame(record, buffer.AsSpan(offset));
        }

        return buffer;
    }

    /// <summary>Writes <paramref name="record"/>'s frame at the start of <paramref name="destination"/>; returns its length.</summary>
    /// <exception cref="ArgumentException">
    /// A string is not valid UTF-16, the vectors do not split into <see cref="ProductUpserted.ImageCount"/>
    /// equal non-empty rows, the payload exceeds <see cref="MaxPayloadBytes"/>, or
    /// <paramref name="destination"/> is too short.
    /// </exception>
    public static int WriteFrame(ShardLogRecord record, Span<byte> destination)
    {
        var payloadLength = GetPayloadLength(record);
        var frameLength = FrameOverheadBytes + payloadLength;
        if (destination.Length < frameLength)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the frame needs {frameLength}.", nameof(destination));
        }

        destination[0] = FrameMarkerV1;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], payloadLength);
        var payload = destination.Slice(HeaderBytes, payloadLength);
        var writer = new SpanWriter(payload);
        switch (record)
        {
            case ProductUpserted upsert:
                writer.WriteByte(UpsertKind);
                writer.WriteString(upsert.ProductId);
                writer.WriteString(upsert.Category);
                writer.WriteString(upsert.MetadataJson);
                writer.WriteInt32(upsert.ImageCount);
                writer.WriteInt32(upsert.Vectors.Length);
                writer.WriteFloats(upsert.Vectors);
                break;
            case ProductDeleted delete:
                writer.WriteByte(DeleteKind);
                writer.WriteString(delete.ProductId);
                break;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[(HeaderBytes + payloadLength)..], Crc32.HashToUInt32(payload));
        return frameLength;
    }

    private static int GetPayloadLength(ShardLogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long length;
        switch (record)
        {
            case ProductUpserted upsert:
                ValidateShape(upsert);
                length = 1 + StringLength(upsert.ProductId, "product id")
                    + StringLength(upsert.Category, "category")
                    + StringLength(upsert.MetadataJson, "metadata")
                    + sizeof(int) + sizeof(int)
                    + (long)upsert.Vectors.Length * sizeof(float);
                break;
            case ProductDeleted delete:
                ArgumentNullException.ThrowIfNull(delete.ProductId, nameof(record));
                length = 1 + StringLength(delete.ProductId, "product id");
                break;
            default:
                throw new ArgumentException($"Record type {record.GetType().Name} has no log encoding.", nameof(record));
        }

        if (length > MaxPayloadBytes)
        {
            throw new ArgumentException($"The record for product '{record.ProductId}' needs {length} bytes; a log record holds at most {MaxPayloadBytes}.", nameof(record));
        }

        return (int)length;
    }

    private static void ValidateShape(ProductUpserted upsert)
    {
        ArgumentNullException.ThrowIfNull(upsert.ProductId, "record");
        ArgumentNullException.ThrowIfNull(upsert.Vectors, "record");
        var rowsAreWhole = upsert.ImageCount switch
        {
            < 0 => false,
            0 => upsert.Vectors.Length == 0,
            _ => upsert.Vectors.Length >= upsert.ImageCount && upsert.Vectors.Length % upsert.ImageCount == 0,
        };
        if (!rowsAreWhole)
        {
            throw new ArgumentException($"Product '{upsert.ProductId}' has {upsert.ImageCount} images but {upsert.Vectors.Length} floats; the floats must split into one non-empty row per image.", "record");
        }
    }

    private static long StringLength(string? value, string what)
    {
        if (value is null)
        {
            return sizeof(int);
        }

        try
        {
            return sizeof(int) + (long)StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The {what} contains a lone surrogate at index {e.Index}, so it has no UTF-8 form.", "record", e);
        }
    }

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _position;

        public void WriteByte(byte value) => _destination[_position++] = value;

        public void WriteInt32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_destination[_position..], value);
            _position += sizeof(int);
        }

        public void WriteString(string? value)
        {
            if (value is null)
            {
                WriteInt32(NullStringLength);
                return;
            }

            var byteCount = StrictUtf8.GetBytes(value, _destination[(_position + sizeof(int))..]);
            WriteInt32(byteCount);
            _position += byteCount;
        }

        public void WriteFloats(ReadOnlySpan<float> values)
        {
            var target = _destination.Slice(_position, values.Length * sizeof(float));
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(values).CopyTo(target);
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], values[i]);
                }
            }

            _position += target.Length;
        }
    }
}
