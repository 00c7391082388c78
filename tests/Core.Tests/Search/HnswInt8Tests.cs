using System.Buffers.Binary;
using System.Security.Cryptography;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// An HNSW graph over int8 codes (<see cref="HnswVectors.Int8"/>): a quarter of the vector memory, recall held to a
/// stated floor on the same clustered catalog the float graph is tested on, and persisted like the float graph.
/// </summary>
public sealed class HnswInt8Tests(HnswClusteredCatalogs catalogs) : IClassFixture<HnswClusteredCatalogs>
{
    private const int K = HnswClusteredCatalogs.K;

    /// <summary>Stated recall@20 of the int8 graph at the default ef on the clustered catalog (measured 0.98; the float graph is held to 0.95 too).</summary>
    private const double MinimumRecall = 0.95;

    private static readonly HnswOptions Int8 = new(Vectors: HnswVectors.Int8);

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    public void Search_MeetsItsStatedRecall_WithScoresCloseToTheExactScan(DistanceMetric metric)
    {
        var int8 = BuildFromCatalog(metric);
        var flat = catalogs.For(metric).Flat;

        var (found, wanted) = (0, 0);
        var worstScoreError = 0f;
        for (var q = 0; q < HnswClusteredCatalogs.QueryCount; q++)
        {
            var exact = flat.Search(catalogs.Query(q), K);
            var truth = exact.Select(hit => hit.ProductId).ToHashSet();
            var hits = int8.Search(catalogs.Query(q), K);
            found += hits.Count(hit => truth.Contains(hit.ProductId));
            wanted += truth.Count;

            // A product's score from its codes against its exact score (from the flat index, asked widely enough).
            var exactScores = flat.Search(catalogs.Query(q), 200).ToDictionary(hit => hit.ProductId, hit => hit.Score);
            foreach (var hit in hits.Where(hit => exactScores.ContainsKey(hit.ProductId)))
            {
                var error = MathF.Abs(hit.Score - exactScores[hit.ProductId]) / MathF.Max(1f, MathF.Abs(exactScores[hit.ProductId]));
                worstScoreError = MathF.Max(worstScoreError, error);
            }
        }

        var recall = (double)found / wanted;
        Assert.True(recall >= MinimumRecall, $"recall@{K} of the int8 graph for {metric} was {recall:F4}");
        Assert.True(worstScoreError < 0.02f, $"an int8 score was {worstScoreError:P2} off the exact one");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(32)]
    [InlineData(45)]
    [InlineData(128)]
    public void Search_ScoresCloseToTheExactScan_WhateverTheDimension(int dimension)
    {
        // Whole 32-code steps, a tail, and both: the re-scoring of the float query against the codes.
        var random = new Random(dimension);
        var products = SearchTestData.RandomProducts(random, 120, dimension, maxImages: 1);
        var index = new HnswIndex(dimension, DistanceMetric.Cosine, Int8);
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        var flat = SearchTestData.IndexOf(products, dimension, DistanceMetric.Cosine);
        for (var q = 0; q < 10; q++)
        {
            var query = SearchTestData.RandomVector(random, dimension);
            var exact = flat.Search(query, 120).ToDictionary(hit => hit.ProductId, hit => hit.Score);
            Assert.All(index.Search(query, 10, ef: 120), hit => Assert.InRange(hit.Score, exact[hit.ProductId] - 0.02f, exact[hit.ProductId] + 0.02f));
        }
    }

    [Fact]
    public void BytesPerVector_IsAQuarterOfTheFloatVectorsPlusTheLinks()
    {
        var int8 = BuildFromCatalog(DistanceMetric.Cosine);
        var floats = catalogs.For(DistanceMetric.Cosine).Hnsw;

        var linkBytes = floats.BytesPerVector - (HnswClusteredCatalogs.Dimension * sizeof(float));
        Assert.Equal(HnswClusteredCatalogs.Dimension + sizeof(float) + linkBytes, int8.BytesPerVector);
    }

    [Fact]
    public void Load_AnswersExactlyAsTheSavedIndex()
    {
        var random = new Random(5);
        var products = SearchTestData.RandomProducts(random, 800, dimension: 32);
        var index = new HnswIndex(32, DistanceMetric.Cosine, new HnswOptions(M: 8, EfConstruction: 40, Vectors: HnswVectors.Int8));
        foreach (var product in products)
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        index.Remove(products[3].Id);

        var loaded = HnswIndex.Load(new MemoryStream(Saved(index)));

        Assert.Equal(HnswVectors.Int8, loaded.Options.Vectors);
        for (var q = 0; q < 40; q++)
        {
            var query = SearchTestData.RandomVector(random, 32);
            var category = SearchTestData.Categories[q % SearchTestData.Categories.Length];
            Assert.Equal(index.Search(query, 10, category, ef: 16), loaded.Search(query, 10, category, ef: 16));
        }

        Assert.Equal(Saved(index), Saved(loaded));
    }

    [Fact]
    public void Load_ReadsAFloatIndexSavedInTheFirstFormat()
    {
        var random = new Random(9);
        var index = new HnswIndex(8, DistanceMetric.L2, new HnswOptions(M: 4, EfConstruction: 20));
        foreach (var product in SearchTestData.RandomProducts(random, 200, dimension: 8))
        {
            index.Upsert(product.Id, product.Category, product.Flattened());
        }

        var loaded = HnswIndex.Load(new MemoryStream(AsFirstFormat(Saved(index))));

        Assert.Equal(HnswVectors.Float, loaded.Options.Vectors);
        var query = SearchTestData.RandomVector(random, 8);
        Assert.Equal(index.Search(query, 10), loaded.Search(query, 10));
    }

    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.L1)]
    public void Constructor_RefusesInt8Vectors_ForMetricsThatAreNotADotProduct(DistanceMetric metric)
    {
        var error = Assert.Throws<ArgumentException>(() => new HnswIndex(8, metric, Int8));
        Assert.Contains("cosine and dot", error.Message, StringComparison.Ordinal);
    }

    private HnswIndex BuildFromCatalog(DistanceMetric metric)
    {
        var index = new HnswIndex(HnswClusteredCatalogs.Dimension, metric, Int8);
        for (var i = 0; i < HnswClusteredCatalogs.Count; i++)
        {
            index.Upsert(i.ToString(System.Globalization.CultureInfo.InvariantCulture), HnswClusteredCatalogs.CategoryOf(i),
                catalogs.Vectors.AsSpan(i * HnswClusteredCatalogs.Dimension, HnswClusteredCatalogs.Dimension));
        }

        return index;
    }

    private static byte[] Saved(HnswIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// The same index in format version 1, which had no vectors kind: header (magic, version, payload length),
    /// payload without the 4 bytes after the parameters, SHA-256 of the payload.
    /// </summary>
    private static byte[] AsFirstFormat(byte[] saved)
    {
        const int HeaderLength = 16;
        const int ParametersLength = (5 * sizeof(int)) + sizeof(double); // dimension, metric, M, efConstruction, seed, fraction
        var payload = saved.AsSpan(HeaderLength, saved.Length - HeaderLength - 32).ToArray();
        Assert.Equal((int)HnswVectors.Float, BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(ParametersLength)));
        var first = payload[..ParametersLength].Concat(payload[(ParametersLength + sizeof(int))..]).ToArray();

        var bytes = new byte[HeaderLength + first.Length + 32];
        saved.AsSpan(0, 4).CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), first.Length);
        first.CopyTo(bytes.AsSpan(HeaderLength));
        SHA256.HashData(first).CopyTo(bytes.AsSpan(HeaderLength + first.Length));
        return bytes;
    }
}
