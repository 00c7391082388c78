using System.Buffers.Binary;
using OutfitFinder.Core.Tests.TestSupport;
using OutfitFinder.Lab.Vectors;

namespace OutfitFinder.Lab.Tests.Vectors;

public sealed class FvecsTests
{
    [Fact]
    public void WriteFloats_WritesLittleEndianDimensionThenValues_PerVector()
    {
        using var stream = new MemoryStream();

        Fvecs.WriteFloats(stream, [1f, -2f, 0.5f, 3f], dimension: 2);

        Assert.Equal(
            [
                2, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,
                2, 0, 0, 0, 0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x40, 0x40,
            ],
            stream.ToArray());
    }

    [Fact]
    public void ReadFloats_RoundTripsWhatWriteFloatsWrote_VectorByVector()
    {
        var values = new ClusteredVectors(67, 3, seed: 5).Next(9);
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, values, 67);
        stream.Position = 0;

        var read = Fvecs.ReadFloats(stream).ToList();

        Assert.Equal(9, read.Count);
        Assert.All(read, vector => Assert.Equal(67, vector.Length));
        Assert.Equal(values, read.SelectMany(vector => vector));
    }

    [Fact]
    public void ReadIntsAndReadBytes_RoundTrip_IvecsAndBvecs()
    {
        using var ivecs = new MemoryStream();
        Fvecs.WriteInts(ivecs, [7, -1, int.MaxValue, 0, 42, 3], dimension: 3);
        ivecs.Position = 0;
        using var bvecs = new MemoryStream();
        Fvecs.WriteBytes(bvecs, [0, 255, 9, 128], dimension: 1);
        bvecs.Position = 0;

        var ints = Fvecs.ReadInts(ivecs).ToList();
        var bytes = Fvecs.ReadBytes(bvecs).ToList();

        Assert.Equal([[7, -1, int.MaxValue], [0, 42, 3]], ints);
        Assert.Equal([[0], [255], [9], [128]], bytes);
        Assert.Equal(2 * (4 + 12), ivecs.Length);
        Assert.Equal(4 * (4 + 1), bvecs.Length);
    }

    [Fact]
    public void ReadFloatBlock_ReturnsOneContiguousBlock_WithDimensionAndCount()
    {
        var values = new ClusteredVectors(5, 2, seed: 1).Next(4);
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, values, 5);
        stream.Position = 0;

        var block = Fvecs.ReadFloatBlock(stream);

        Assert.Equal(5, block.Dimension);
        Assert.Equal(4, block.Count);
        Assert.Equal(values, block.Values);
        Assert.Equal(values.AsSpan(15, 5).ToArray(), block[3].ToArray());
    }

    [Fact]
    public void ReadFloatBlock_StopsAtMaxCount_WithoutReadingFurther()
    {
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, [1f, 2f, 3f, 4f, 5f, 6f], dimension: 2);
        stream.WriteByte(0xFF); // damage after the wanted vectors is never reached
        stream.Position = 0;

        var block = Fvecs.ReadFloatBlock(stream, maxCount: 2);

        Assert.Equal(2, block.Count);
        Assert.Equal([1f, 2f, 3f, 4f], block.Values);
    }

    [Fact]
    public void ReadFloatBlock_ReadsAPipe_WhenTheStreamCannotSeek()
    {
        var values = new ClusteredVectors(3, 1, seed: 2).Next(50);
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, values, 3);
        using var pipe = new ForwardOnlyStream(stream.ToArray(), _ => 7);

        var block = Fvecs.ReadFloatBlock(pipe);

        Assert.Equal(50, block.Count);
        Assert.Equal(values, block.Values);
    }

    [Fact]
    public void ReadFloatBlock_ReturnsEmptyBlock_ForEmptyData()
    {
        var block = Fvecs.ReadFloatBlock(new MemoryStream());

        Assert.Equal(0, block.Count);
        Assert.Equal(0, block.Dimension);
        Assert.Empty(block.Values);
    }

    [Fact]
    public void ReadFloats_ThrowsNamingVectorAndOffset_WhenValuesAreTruncated()
    {
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, [1f, 2f, 3f, 4f, 5f, 6f], dimension: 3);
        stream.SetLength(stream.Length - 5);
        stream.Position = 0;
        var read = new List<float[]>();

        var error = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var vector in Fvecs.ReadFloats(stream))
            {
                read.Add(vector);
            }
        });

        // The intact first vector was streamed before the damage was found.
        Assert.Equal([[1f, 2f, 3f]], read);
        Assert.Equal(
            "The .fvecs data is truncated: vector 1 at byte 16 declares 3 values (12 bytes) but only 7 bytes follow.",
            error.Message);
    }

    [Fact]
    public void ReadFloatBlock_Throws_WhenTheFileStopsInsideADimension()
    {
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, [1f, 2f], dimension: 2);
        stream.Write([2, 0]);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => Fvecs.ReadFloatBlock(stream));

        Assert.Equal(
            "The .fvecs data is truncated: vector 1 at byte 12 stops after 2 of the 4 bytes of its dimension.",
            error.Message);
    }

    [Fact]
    public void ReadIntBlock_Throws_WhenDimensionChangesPartWay()
    {
        using var stream = new MemoryStream();
        Fvecs.WriteInts(stream, [1, 2, 3], dimension: 3);
        Fvecs.WriteInts(stream, [4, 5], dimension: 2);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => Fvecs.ReadIntBlock(stream));

        Assert.Equal(
            "The .ivecs data is inconsistent: vector 1 at byte 16 declares dimension 2 but the first vector has 3; " +
            "every vector of a .ivecs file has the same dimension.",
            error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(Fvecs.MaxDimension + 1)]
    public void ReadFloats_ThrowsBeforeAllocating_WhenDimensionIsOutOfRange(int dimension)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(data, dimension);

        var error = Assert.Throws<InvalidDataException>(() => Fvecs.ReadFloats(new MemoryStream(data)).ToList());

        Assert.Equal(
            $"The .fvecs data is not valid: vector 0 at byte 0 declares dimension {dimension}; " +
            $"a .fvecs dimension must be between 1 and {Fvecs.MaxDimension}.",
            error.Message);
    }

    [Fact]
    public void ReadFloatBlock_NamesTheFile_WhenReadingAPath()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fvecs-tests-").FullName, "broken.fvecs");
        try
        {
            File.WriteAllBytes(path, [1, 0, 0, 0, 0, 0]);

            var error = Assert.Throws<InvalidDataException>(() => Fvecs.ReadFloatBlock(path));

            Assert.StartsWith($"'{path}' is truncated: vector 0 at byte 0", error.Message);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void WriteFloats_Throws_WhenValuesAreNotWholeVectors()
    {
        using var stream = new MemoryStream();

        var error = Assert.Throws<ArgumentException>(() => Fvecs.WriteFloats(stream, [1f, 2f, 3f], dimension: 2));

        Assert.StartsWith("3 values are not a whole number of 2-dimensional vectors.", error.Message);
        Assert.Equal(0, stream.Length);
    }
}
