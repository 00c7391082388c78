using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class DotKernelsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(512)]
    public void Dot_MatchesADoublePrecisionSum(int dimension)
    {
        var random = new Random(dimension);
        var a = SearchTestData.RandomVector(random, dimension);
        var b = SearchTestData.RandomVector(random, dimension);

        var expected = a.Zip(b, (x, y) => (double)x * y).Sum();

        Assert.Equal(expected, DotKernels.Dot(a, b), 1e-4);
    }

    [Fact]
    public void Dot_Throws_WhenTheLengthsDiffer()
    {
        Assert.Throws<ArgumentException>(() => DotKernels.Dot(new float[3], new float[4]));
    }

    [Theory]
    [InlineData(1, 1, 5)]
    [InlineData(3, 9, 12)]
    [InlineData(4, 2, 8)]
    [InlineData(9, 600, 100)]
    [InlineData(17, 301, 513)]
    public void DotBatch_GivesEveryPairExactlyItsOwnDot(int queryCount, int rowCount, int dimension)
    {
        // Odd counts and dimensions reach every tile edge: queries beyond a group of 4, rows beyond a pair or a
        // block of 256, values beyond a whole 8-float chunk.
        var random = new Random(queryCount * 1000 + rowCount);
        var queries = RandomValues(random, queryCount * dimension);
        var rows = RandomValues(random, rowCount * dimension);
        var scores = new float[queryCount * rowCount];

        DotKernels.DotBatch(queries, dimension, rows, scores);

        for (var q = 0; q < queryCount; q++)
        {
            for (var r = 0; r < rowCount; r++)
            {
                var alone = DotKernels.Dot(queries.AsSpan(q * dimension, dimension), rows.AsSpan(r * dimension, dimension));
                Assert.Equal(alone, scores[(q * rowCount) + r]);
            }
        }
    }

    [Fact]
    public void DotRows_GivesEachRowItsOwnDot()
    {
        var random = new Random(5);
        var query = RandomValues(random, 33);
        var rows = RandomValues(random, 10 * 33);
        var scores = new float[10];

        DotKernels.DotRows(query, rows, scores);

        for (var r = 0; r < 10; r++)
        {
            Assert.Equal(DotKernels.Dot(query, rows.AsSpan(r * 33, 33)), scores[r]);
        }
    }

    [Fact]
    public void DotBatch_Throws_WhenTheScoresDoNotFit()
    {
        var error = Assert.Throws<ArgumentException>(() => DotKernels.DotBatch(new float[8], 4, new float[12], new float[5]));

        Assert.Contains("2 queries × 3 rows need 6 scores", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sum_AddsEveryValue()
    {
        var values = Enumerable.Range(1, 1001).Select(i => (float)i).ToArray();

        Assert.Equal(1001 * 1002 / 2, DotKernels.Sum(values));
    }

    private static float[] RandomValues(Random random, int count) => SearchTestData.RandomVector(random, count);
}
