using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace OutfitFinder.Core.Search;

public sealed partial class HnswIndex
{
    // "OFHN" little-endian, then the format version. Version 2: the layout written by WritePayload. Version 1
    // (float vectors only) lacked the vectors kind after the filter fraction and is still read.
    private const int Magic = 0x4E48464F;
    private const int FormatVersion = 2;
    private const int FloatOnlyFormatVersion = 1;
    private const int ChecksumLength = 32;

    /// <summary>
    /// Writes the whole index: header (magic, version, payload length), payload (parameters, products, rows with
    /// their vectors and links) and the payload's SHA-256. A reloaded index answers every search exactly as this one.
    /// </summary>
    /// <remarks>Written in two passes over the index: the first only measures and hashes the payload, so that the
    /// header can announce its length and the checksum follow it without the payload ever being held in memory (a
    /// shard's graph is hundreds of megabytes). The index must not change meanwhile, as with any read.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length;
        using (var measuring = new MeasuringStream(sha))
        {
            using (var writer = new BinaryWriter(measuring, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                WritePayload(writer);
            }

            length = measuring.Length;
        }

        using var output = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        output.Write(Magic);
        output.Write(FormatVersion);
        output.Write(length);
        WritePayload(output);
        output.Write(sha.GetHashAndReset());
    }

    /// <summary>A write-only sink that keeps nothing: it counts what is written and hashes it.</summary>
    private sealed class MeasuringStream(IncrementalHash hash) : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            _length += buffer.Length;
        }

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Reads an index written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not an index, an unknown version, truncated, or the checksum differs.</exception>
    public static HnswIndex Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var header = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (header.ReadInt32() != Magic)
            {
                throw new InvalidDataException("The stream does not hold a saved HNSW index.");
            }

            var version = header.ReadInt32();
            if (version is not (FormatVersion or FloatOnlyFormatVersion))
            {
                throw new InvalidDataException(
                    $"The saved HNSW index has format version {version}; this build reads {FloatOnlyFormatVersion} and {FormatVersion}.");
            }

            var length = header.ReadInt64();
            if (length < 0)
            {
                throw new InvalidDataException($"The saved HNSW index claims an impossible payload of {length} bytes.");
            }

            // Parsed as it streams in, never held whole: the checksum is computed on the way and checked at the end,
            // and every count is checked against the payload's length before anything is allocated for it.
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var payload = new OutfitFinder.Core.Storage.ObservedReadStream(stream, length, sha.AppendData);
            HnswIndex index;
            using (var reader = new BinaryReader(payload, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                try
                {
                    index = ReadPayload(reader, version, length);
                }
                catch (InvalidDataException ex)
                {
                    // Structure is checked as it streams in, so damage usually shows here, before the checksum.
                    throw new InvalidDataException($"The saved HNSW index is corrupt: {ex.Message}", ex);
                }
            }

            if (payload.Remaining != 0)
            {
                throw new InvalidDataException($"The saved HNSW index holds {payload.Remaining} bytes after its payload.");
            }

            var checksum = header.ReadBytes(ChecksumLength);
            if (checksum.Length != ChecksumLength)
            {
                throw new InvalidDataException("The saved HNSW index is truncated.");
            }

            if (!sha.GetHashAndReset().AsSpan().SequenceEqual(checksum))
            {
                throw new InvalidDataException("The saved HNSW index is corrupt: its checksum does not match.");
            }

            return index;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The saved HNSW index is truncated.", ex);
        }
    }

    private void WritePayload(BinaryWriter writer)
    {
        writer.Write(Dimension);
        writer.Write((int)Metric);
        writer.Write(Options.M);
        writer.Write(Options.EfConstruction);
        writer.Write(Options.Seed);
        writer.Write(Options.ExactFilterFraction);
        writer.Write((int)Options.Vectors);
        var rowCount = _rows.RowCount;
        writer.Write(rowCount);
        writer.Write(_entryPoint);
        writer.Write(_topLevel);

        // Vectors and links as raw little-endian values: the format is for the machines a cluster runs on.
        if (StoresInt8)
        {
            writer.Write(MemoryMarshal.AsBytes(_codes.AsSpan(0, rowCount * Dimension)));
            writer.Write(MemoryMarshal.AsBytes(_scales.AsSpan(0, rowCount)));
        }
        else
        {
            writer.Write(MemoryMarshal.AsBytes(_vectors.AsSpan(0, rowCount * Dimension)));
        }
        for (var row = 0; row < rowCount; row++)
        {
            writer.Write(_deleted[row]);
            writer.Write(_rowLevel[row]);
            for (var level = 0; level <= _rowLevel[row]; level++)
            {
                var list = LinkList(row, level);
                writer.Write(list[0]);
                writer.Write(MemoryMarshal.AsBytes(list.Slice(1, list[0])));
            }
        }

        // Products in the order of their first row, not their slots': slot order depends on which products were
        // removed, and two indexes holding the same graph must save the same bytes.
        writer.Write(_rows.ProductCount);
        foreach (var slot in Enumerable.Range(0, _rows.ProductCount).OrderBy(slot => _rows.RowsOf(slot)[0]))
        {
            var category = _rows.Categories[slot];
            writer.Write(_rows.Ids[slot]);
            writer.Write(category is not null);
            if (category is not null)
            {
                writer.Write(category);
            }

            writer.Write(_rows.ImageCountOf(slot));
            foreach (var row in _rows.RowsOf(slot))
            {
                writer.Write(row);
            }
        }
    }

    private static HnswIndex ReadPayload(BinaryReader reader, int version, long payloadLength)
    {
        var dimension = reader.ReadInt32();
        var metric = (DistanceMetric)reader.ReadInt32();
        var options = new HnswOptions(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble());
        if (version >= FormatVersion)
        {
            options = options with { Vectors = (HnswVectors)reader.ReadInt32() };
        }

        HnswIndex index;
        try
        {
            index = new HnswIndex(dimension, metric, options);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The saved HNSW index has invalid parameters: {ex.Message}", ex);
        }

        var rowCount = reader.ReadInt32();
        var vectorBytes = index.StoresInt8 ? dimension + sizeof(float) : dimension * sizeof(float);
        if (rowCount < 0 || (long)rowCount * dimension > Array.MaxLength || (long)rowCount * vectorBytes > payloadLength)
        {
            throw new InvalidDataException($"The saved HNSW index claims {rowCount} rows.");
        }

        index.EnsureRowCapacity(rowCount);
        index._rows.AddOwnerlessRows(rowCount);
        index._entryPoint = reader.ReadInt32();
        index._topLevel = reader.ReadInt32();
        if (index.StoresInt8)
        {
            ReadExactly(reader, MemoryMarshal.AsBytes(index._codes.AsSpan(0, rowCount * dimension)));
            ReadExactly(reader, MemoryMarshal.AsBytes(index._scales.AsSpan(0, rowCount)));
        }
        else
        {
            ReadExactly(reader, MemoryMarshal.AsBytes(index._vectors.AsSpan(0, rowCount * dimension)));
        }

        for (var row = 0; row < rowCount; row++)
        {
            index._deleted[row] = reader.ReadBoolean();
            index._tombstoneCount += index._deleted[row] ? 1 : 0;
            var level = reader.ReadInt32();
            if (level is < 0 or > MaxLevel)
            {
                throw new InvalidDataException($"Row {row} of the saved HNSW index has level {level}.");
            }

            index.AllocateLinks(row, level);
            for (var l = 0; l <= level; l++)
            {
                var list = index.LinkList(row, l);
                var count = reader.ReadInt32();
                if (count < 0 || count >= list.Length)
                {
                    throw new InvalidDataException($"Row {row} of the saved HNSW index has {count} links at level {l}.");
                }

                list[0] = count;
                ReadExactly(reader, MemoryMarshal.AsBytes(list.Slice(1, count)));
                foreach (var neighbour in list.Slice(1, count))
                {
                    if ((uint)neighbour >= (uint)rowCount)
                    {
                        throw new InvalidDataException($"Row {row} of the saved HNSW index links to row {neighbour}.");
                    }
                }
            }
        }

        var productCount = reader.ReadInt32();
        for (var p = 0; p < productCount; p++)
        {
            var id = reader.ReadString();
            var category = index.Intern(reader.ReadBoolean() ? reader.ReadString() : null);
            var imageCount = reader.ReadInt32();
            if (imageCount is < 1 || imageCount > rowCount)
            {
                throw new InvalidDataException($"Product '{id}' of the saved HNSW index claims {imageCount} images.");
            }

            if (index._rows.Contains(id))
            {
                throw new InvalidDataException($"Product '{id}' appears twice in the saved HNSW index.");
            }

            var slot = index._rows.Place(id, category, imageCount, out _);
            for (var image = 0; image < imageCount; image++)
            {
                var row = reader.ReadInt32();
                if ((uint)row >= (uint)rowCount || index._deleted[row] || index._rows.RowProduct[row] != ProductRows.NoOwner)
                {
                    throw new InvalidDataException($"Product '{id}' of the saved HNSW index claims row {row}.");
                }

                index._rows.Claim(slot, image, row);
                if (category is not null)
                {
                    index._liveRowsByCategory[category]++;
                }
            }
        }

        // Live rows in row order, as Upsert leaves them (tombstones are skipped by every reader of the lists).
        for (var row = 0; row < rowCount; row++)
        {
            if (index._rows.RowProduct[row] is var owner and not ProductRows.NoOwner &&
                index._rows.Categories[owner] is { } category)
            {
                index._rowsByCategory[category].Add(row);
            }
        }

        if (rowCount > 0 && ((uint)index._entryPoint >= (uint)rowCount || index._topLevel != index._rowLevel[index._entryPoint]))
        {
            throw new InvalidDataException("The saved HNSW index has an invalid entry point.");
        }

        if (index._tombstoneCount + index._rows.LiveRowCount != rowCount)
        {
            throw new InvalidDataException("The saved HNSW index has rows that belong to no product.");
        }

        return index;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        if (reader.Read(destination) != destination.Length)
        {
            throw new InvalidDataException("The saved HNSW index is truncated.");
        }
    }
}
