using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// An index whose vectors live in a memory-mapped scratch file must behave exactly like one on the heap, through
/// growth, removals and replacements, and leave no file behind; a clone must be a frozen copy.
/// </summary>
public sealed class FlatVectorIndexStorageTests : IDisposable
{
    private const int Dimension = 24;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"outfitfinder-vectors-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void MappedFileIndex_AnswersExactlyAsTheHeapIndex_ThroughGrowthRemovalsAndReplacements(DistanceMetric metric)
    {
        var random = new Random(17 + (int)metric);
        using var heap = new FlatVectorIndex(Dimension, metric);
        using var mapped = new FlatVectorIndex(Dimension, metric, VectorStorage.MappedFile(_folder));
        var ids = new List<string>();

        // Starting empty, 1,200 products of up to 3 images grow the block through many remappings.
        for (var write = 0; write < 1_500; write++)
        {
            if (write % 5 == 4 && ids.Count > 0)
            {
                var removed = ids[random.Next(ids.Count)];
                Assert.Equal(heap.Remove(removed), mapped.Remove(removed));
                ids.Remove(removed);
                continue;
            }

            var id = write % 7 == 6 && ids.Count > 0 ? ids[random.Next(ids.Count)] : $"p{write:D5}";
            var vectors = Enumerable.Range(0, random.Next(1, 4)).SelectMany(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
            var category = SearchTestData.Categories[random.Next(SearchTestData.Categories.Length)];
            heap.Upsert(id, category, vectors);
            mapped.Upsert(id, category, vectors);
            if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        Assert.Equal(heap.ImageCount, mapped.ImageCount);
        Assert.Equal(heap.ProductCount, mapped.ProductCount);
        foreach (var id in ids)
        {
            Assert.True(heap.TryCopyVectors(id, out var expected));
            Assert.True(mapped.TryCopyVectors(id, out var actual));
            Assert.Equal(expected, actual);
        }

        for (var q = 0; q < 25; q++)
        {
            var query = SearchTestData.RandomVector(random, Dimension);
            var category = SearchTestData.Categories[q % SearchTestData.Categories.Length];
            Assert.Equal(heap.Search(query, 10, category), mapped.Search(query, 10, category));
        }

        var batch = Enumerable.Range(0, 6).SelectMany(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
        var heapAnswers = heap.SearchBatch(batch, 7);
        var mappedAnswers = mapped.SearchBatch(batch, 7);
        for (var q = 0; q < heapAnswers.Length; q++)
        {
            Assert.Equal(heapAnswers[q], mappedAnswers[q]);
        }
    }

    [Fact]
    public void MappedFile_LeavesNoFileBehind_AndADisposedIndexRefusesUse()
    {
        var index = new FlatVectorIndex(Dimension, DistanceMetric.Cosine, VectorStorage.MappedFile(_folder));
        index.Upsert("a", null, SearchTestData.RandomVector(new Random(1), Dimension));

        // The scratch file is unlinked once mapped (deleted on close on Windows): nothing to clean up after a crash.
        Assert.True(Directory.Exists(_folder));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Empty(Directory.GetFiles(_folder));
        }

        index.Dispose();
        index.Dispose();
        Assert.Empty(Directory.GetFiles(_folder));
        Assert.Throws<ObjectDisposedException>(() => index.Search(new float[Dimension], 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Clone_IsAFrozenCopy_ThatLaterWritesToTheOriginalDoNotReach(bool toMappedFile)
    {
        var random = new Random(5);
        var products = SearchTestData.RandomProducts(random, 300, Dimension);
        using var original = SearchTestData.IndexOf(products, Dimension, DistanceMetric.Cosine);
        var query = SearchTestData.RandomVector(random, Dimension);
        var before = original.Search(query, 20, "tops");

        using var clone = original.Clone(toMappedFile ? VectorStorage.MappedFile(_folder) : VectorStorage.Memory);
        Assert.Equal(before, clone.Search(query, 20, "tops"));
        Assert.Equal(original.Products.OrderBy(p => p.ProductId, StringComparer.Ordinal),
            clone.Products.OrderBy(p => p.ProductId, StringComparer.Ordinal));

        // Writes after the clone: the best hit is removed, and a product identical to the query is added.
        original.Remove(before[0].ProductId);
        original.Upsert("query-twin", "tops", query);
        Assert.Equal("query-twin", original.Search(query, 1, "tops")[0].ProductId);
        Assert.Equal(before, clone.Search(query, 20, "tops"));
        Assert.False(clone.Contains("query-twin"));

        // And the clone takes writes of its own without touching the original.
        clone.Remove(before[1].ProductId);
        Assert.True(original.Contains(before[1].ProductId));
    }

    [Fact]
    public void MappedRows_KeepEarlierViewsReadable_AfterGrowth()
    {
        // A pass whose caller gave up may still hold a span of an earlier view when a write grows the block.
        using var rows = new MappedVectorRows(_folder);
        rows.Grow(1024, 0);
        var early = rows.Values;
        for (var i = 0; i < early.Length; i++)
        {
            early[i] = i;
        }

        rows.Grow(1 << 20, 1024);
        rows.Grow(1 << 21, 1024);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (float)i), early.ToArray());
        Assert.Equal(early.ToArray(), rows.Values[..1024].ToArray());

        // Writes through the newest view show through the earliest: one file behind them all.
        rows.Values[7] = -1;
        Assert.Equal(-1, early[7]);
    }

    [Fact]
    public void TryCopyVectors_IntoABuffer_CopiesEveryImage_AndRefusesAShortOne()
    {
        var random = new Random(9);
        using var index = new FlatVectorIndex(Dimension, DistanceMetric.Dot, VectorStorage.MappedFile(_folder));
        var vectors = Enumerable.Range(0, 3).SelectMany(_ => SearchTestData.RandomVector(random, Dimension)).ToArray();
        index.Upsert("three-images", null, vectors);

        var buffer = new float[4 * Dimension];
        Assert.True(index.TryCopyVectors("three-images", buffer));
        Assert.Equal(vectors, buffer[..(3 * Dimension)]);
        Assert.False(index.TryCopyVectors("absent", buffer));
        Assert.Throws<ArgumentException>(() => index.TryCopyVectors("three-images", new float[3 * Dimension - 1]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void MappedFile_RefusesABlankFolder(string folder) =>
        Assert.Throws<ArgumentException>(() => VectorStorage.MappedFile(folder));
}
