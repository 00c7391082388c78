using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// The cosine and dot scan visits rows in storage order, so a product's images can be met apart, in any order
/// and in different kernel blocks. These tests pin that it still returns what a product-by-product scan does:
/// each product once, with its best image (lowest index among equal scores), ties between products by id,
/// and the very same float scores the kernel gives each pair.
/// </summary>
public sealed class FlatVectorIndexRowScanTests
{
    private const int Dimension = 37;

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    public void Search_EqualsPerProductBestOfKernelScores_AfterWritesMovedRows(DistanceMetric metric)
    {
        var random = new Random(31 + (int)metric);
        var products = SearchTestData.RandomProducts(random, 500, Dimension, maxImages: 4);

        // Exact ties: products sharing another product's vector (decided by id), and products whose images are
        // all one vector (decided by the lowest image index).
        var shared = products[7].Images[0];
        for (var i = 0; i < 12; i++)
        {
            products.Add(new TestProduct($"shared-{i:D2}", SearchTestData.Categories[i % 4], [shared]));
            products.Add(new TestProduct($"twins-{i:D2}", SearchTestData.Categories[i % 4], [shared, shared, shared]));
        }

        var index = SearchTestData.IndexOf(products, Dimension, metric);

        // Removals move the last rows into the holes and replacements append, so images of one product end up
        // apart, out of image order and in different blocks of 256 rows.
        var ids = products.Select(product => product.Id).ToList();
        for (var write = 0; write < 300; write++)
        {
            var id = ids[random.Next(ids.Count)];
            if (write % 3 == 0 && !id.StartsWith("shared", StringComparison.Ordinal) && !id.StartsWith("twins", StringComparison.Ordinal))
            {
                index.Remove(id);
                ids.Remove(id);
                continue;
            }

            index.TryCopyVectors(id, out var vectors);
            var images = vectors!.Length / Dimension;
            var category = SearchTestData.Categories[random.Next(4)];
            var replaced = Enumerable.Range(0, random.Next(1, 5))
                .SelectMany(image => image < images && random.Next(2) == 0
                    ? vectors.AsSpan(image * Dimension, Dimension).ToArray()
                    : SearchTestData.RandomVector(random, Dimension))
                .ToArray();
            index.Upsert(id, category, replaced);
        }

        for (var q = 0; q < 40; q++)
        {
            float[] query = q % 4 == 0 ? [.. shared] : SearchTestData.RandomVector(random, Dimension);
            var category = q % 5 < 2 ? null : SearchTestData.Categories[random.Next(4)];
            var k = new[] { 1, 4, 20, 1000 }[q % 4];

            var expected = Reference(index, metric, query, k, category);
            Assert.Equal(expected, index.Search(query, k, category));
            Assert.Equal(expected, index.SearchBatch([.. query, .. SearchTestData.RandomVector(random, Dimension)], k, category)[0]);
        }
    }

    [Fact]
    public void Search_KeepsTheBestImage_WhenItIsMetAfterAWeakerOneOfTheSameProduct()
    {
        var random = new Random(32);
        var index = new FlatVectorIndex(Dimension, DistanceMetric.Dot);
        for (var i = 0; i < 300; i++)
        {
            index.Upsert($"f{i:D3}", null, [.. SearchTestData.RandomVector(random, Dimension).Select(value => value * 0.1f)]);
        }

        var query = SearchTestData.RandomVector(random, Dimension);
        var tie = SearchTestData.RandomVector(random, Dimension);
        index.Upsert("best-later", null, [.. query, .. query.Select(value => value * 0.9f)]);
        index.Upsert("tie", null, [.. tie, .. tie]);

        // Rows 0..299 fillers, 300-301 best-later, 302-303 tie. Each removal moves the last row into the hole:
        // tie's image 1 to row 0, its image 0 to row 1, and best-later's weaker image 1 to row 2, while its image 0
        // stays at row 300, a block later.
        index.Remove("f000");
        index.Remove("f001");
        index.Remove("f002");

        foreach (var k in new[] { 1, 3 })
        {
            Assert.Equal(new IndexHit("best-later", 0, DotKernels.Dot(query, query)), index.Search(query, k)[0]);
            Assert.Equal(new IndexHit("tie", 0, DotKernels.Dot(tie, tie)), index.Search(tie, k)[0]);
            Assert.Equal(index.Search(query, k), index.SearchBatch([.. tie, .. query], k)[1]);
        }
    }

    /// <summary>
    /// The answer computed the slow way from the stored vectors: each product's best image by
    /// <see cref="DotKernels.Dot"/> (the kernel's own sum, so scores match to the bit), then the best k by
    /// <see cref="DistanceMetrics.Compare"/>.
    /// </summary>
    private static IndexHit[] Reference(FlatVectorIndex index, DistanceMetric metric, float[] query, int k, string? category)
    {
        var unit = query.ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            ProductVectors.NormaliseInPlace(unit);
        }

        var hits = new List<IndexHit>();
        foreach (var product in index.Products.ToList())
        {
            if (category is not null && product.Category != category)
            {
                continue;
            }

            index.TryCopyVectors(product.ProductId, out var vectors);
            var best = new IndexHit(product.ProductId, 0, DotKernels.Dot(unit, vectors.AsSpan(0, Dimension)));
            for (var image = 1; image < product.ImageCount; image++)
            {
                var score = DotKernels.Dot(unit, vectors.AsSpan(image * Dimension, Dimension));
                if (score > best.Score)
                {
                    best = new IndexHit(product.ProductId, image, score);
                }
            }

            hits.Add(best);
        }

        hits.Sort((a, b) => DistanceMetrics.Compare(metric, a, b));
        return [.. hits.Take(k)];
    }
}
