using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Core.Tests.Extraction.Siamese;

public sealed class HeadFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("outfit-heads-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const int InputDimension = 32;

    /// <summary>A 32→5 head with seeded random weights: the file format does not care how the weights were learned.</summary>
    private static ProjectionHead RandomHead()
    {
        var random = new Random(1);
        return new ProjectionHead("resnet18", InputDimension, 5, Gaussian(random, InputDimension * 5), Gaussian(random, 5));
    }

    private static float[] Gaussian(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ =>
            (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    [Fact]
    public void Load_GivesIdenticalOutputs_ToTheSavedHead()
    {
        var head = RandomHead();
        var path = Path.Combine(_folder, "shoes.head");
        HeadFile.Save(head, path);

        var loaded = HeadFile.Load(path);

        Assert.Equal(("resnet18", InputDimension, 5), (loaded.BaseModel, loaded.InputDimension, loaded.OutputDimension));
        var inputs = Gaussian(new Random(3), InputDimension * 4);
        Assert.Equal(head.ProjectRows(inputs), loaded.ProjectRows(inputs));
        Assert.Equal(File.ReadAllBytes(path), HeadFile.Write(loaded));
    }

    [Fact]
    public void Write_HasTheDocumentedLength()
    {
        var head = new ProjectionHead("resnet18", 512, 128, new float[512 * 128], new float[128]);

        Assert.Equal(262_690, HeadFile.Write(head).Length);
    }

    [Theory]
    [InlineData("checksum", "checksum does not match")]
    [InlineData("truncate", "truncated: a 32→5 head needs")]
    [InlineData("append", "bytes after the end")]
    [InlineData("magic", "not a head file")]
    [InlineData("version", "format version is 2")]
    [InlineData("header", "truncated: 12 bytes end inside the header")]
    public void Read_ExplainsWhatIsWrong_WithADamagedFile(string damage, string expected)
    {
        var bytes = HeadFile.Write(RandomHead());
        bytes = damage switch
        {
            "checksum" => Flip(bytes, bytes.Length / 2),
            "truncate" => bytes[..^100],
            "append" => [.. bytes, 0, 0],
            "magic" => Flip(bytes, 0),
            "version" => Set(bytes, 4, 2),
            "header" => bytes[..12],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };

        var error = Assert.Throws<InvalidDataException>(() => HeadFile.Read(bytes, "shoes.head"));

        Assert.Contains("Head file 'shoes.head' cannot be used", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Load_SaysTheFileIsMissing_WithItsPath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => HeadFile.Load(Path.Combine(_folder, "absent.head")));

        Assert.Contains("absent.head", error.Message);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x40;
        return copy;
    }

    private static byte[] Set(byte[] bytes, int at, byte value)
    {
        var copy = bytes.ToArray();
        copy[at] = value;
        return copy;
    }
}
