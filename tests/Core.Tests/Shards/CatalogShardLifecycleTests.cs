using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;
using OutfitFinder.Core.Shards.Files;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Tests.Search;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary>
/// A shard's whole life, without a silo: created on an empty folder, bulk written, searched, compacted, crashed in
/// the middle of a write, reopened, grown past the graph threshold, and reopened with its saved graph.
/// </summary>
public sealed class CatalogShardLifecycleTests : IDisposable
{
    private const int Dimension = 32;
    private const int K = 10;
    private const string Folder = "catalogs/lifecycle/shards/0";

    /// <summary>Expected recall@10 of the graph against the exact answers (ef 64, a few thousand rows).</summary>
    private const double MinimumRecall = 0.9;

    private static readonly ShardDefinition Definition = new("lifecycle", 0, Dimension, DistanceMetric.Cosine, Folder);

    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _disk;
    private readonly TornAppendStore _store;

    /// <summary>What the shard must hold: every acknowledged write, and nothing else.</summary>
    private readonly Dictionary<string, TestProduct> _model = new(StringComparer.Ordinal);

    public CatalogShardLifecycleTests()
    {
        _disk = new LocalFolderBlobStore(_folder.Path);
        _store = new TornAppendStore(_disk);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Set by each test case: where vectors live and how the graph stores them.</summary>
    private ShardIndexOptions _indexOptions = new();

    private string VectorFolder => Path.Combine(_folder.Path, "scratch-vectors");

    // 100-product batches: the third batch of a bulk load passes 250 records and compacts.
    private static ShardCompactionOptions CompactionOptions => new() { LogRecords = 250 };

    private string SnapshotFile => Path.Combine(_folder.Path, Folder, "snapshot");

    private Task<CatalogShard> OpenAsync(IBlobStore store) =>
        CatalogShard.OpenAsync(store, Definition, _indexOptions, CompactionOptions, graphBuildSlots: null, NullLogger.Instance, CancellationToken.None);

    private static ShardUpsert ToUpsert(TestProduct product) =>
        new(product.Id, product.Category, Metadata(product.Id), product.Images.Length, product.Flattened());

    private static string Metadata(string id) => $$"""{"sku":"{{id}}"}""";

    private async Task WriteAsync(CatalogShard shard, IEnumerable<TestProduct> products)
    {
        foreach (var batch in products.Chunk(100))
        {
            Assert.Equal(batch.Length, await shard.UpsertBatchAsync([.. batch.Select(ToUpsert)]));
            foreach (var product in batch)
            {
                _model[product.Id] = product;
            }
        }
    }

    private static float[][] Queries(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => SearchTestData.RandomVector(random, Dimension))];
    }

    private static async Task<List<ShardSearchHit>> AnswersAsync(CatalogShard shard)
    {
        var answers = new List<ShardSearchHit>();
        foreach (var (query, i) in Queries(seed: 99, count: 12).Select((query, i) => (query, i)))
        {
            answers.AddRange(await shard.SearchAsync(new ShardSearch(query, K, i % 3 == 0 ? "tops" : null)));
        }

        return answers;
    }

    /// <summary>Every answer is the brute-force top k of the model, with the product's category and metadata.</summary>
    private async Task AssertExactAsync(CatalogShard shard)
    {
        var (checkedById, positions) = (0, 0);
        foreach (var (query, i) in Queries(seed: 7, count: 20).Select((query, i) => (query, i)))
        {
            var category = i % 4 == 0 ? "shoes" : null;
            var hits = await shard.SearchAsync(new ShardSearch(query, K, category));
            var reference = BruteForce.Rank(_model.Values, DistanceMetric.Cosine, query, category);
            checkedById += BruteForce.AssertTopK(reference, [.. hits.Select(hit => new IndexHit(hit.ProductId, hit.ImageIndex, hit.Score))],
                K, _model, DistanceMetric.Cosine, query);
            positions += hits.Count;
            Assert.All(hits, hit => Assert.Equal((_model[hit.ProductId].Category, Metadata(hit.ProductId)), (hit.Category, hit.MetadataJson)));
        }

        Assert.True(checkedById >= positions * 0.9, $"only {checkedById} of {positions} positions were separated enough to check by id");
    }

    private void AssertHoldsTheModel(CatalogShard shard)
    {
        Assert.Equal(new ShardSize(_model.Count, _model.Values.Sum(product => product.Images.Length)), shard.Size);
        foreach (var product in _model.Values)
        {
            Assert.Equal(new ShardProduct(product.Id, product.Category, Metadata(product.Id), product.Images.Length), shard.Get(product.Id));
        }
    }

    /// <summary>
    /// The same products, images, categories and metadata; scores equal up to float rounding (a reloaded shard
    /// normalises its vectors again as it reads them from the snapshot, which may move the last bit).
    /// </summary>
    private static void AssertSameAnswers(List<ShardSearchHit> expected, List<ShardSearchHit> actual)
    {
        Assert.Equal(expected.Select(hit => hit with { Score = 0 }), actual.Select(hit => hit with { Score = 0 }));
        Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First.Score, pair.Second.Score, 1e-6f));
    }

    private static async Task<ShardIndexState> WaitForGraphAsync(CatalogShard shard)
    {
        var waited = Stopwatch.StartNew();
        while (shard.IndexState is var state && state is not { Answering: "hnsw", GraphBuilding: false })
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"no graph after {waited.Elapsed}: {state}");
            await Task.Delay(20);
        }

        return shard.IndexState;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "timed out");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(ShardVectorStorage.Memory, HnswVectors.Float)]
    [InlineData(ShardVectorStorage.MappedFile, HnswVectors.Int8)]
    public async Task Shard_KeepsEveryAcknowledgedWriteAndItsAnswers_ThroughCompactionCrashReloadAndGraph(
        ShardVectorStorage vectorStorage, HnswVectors graphVectors)
    {
        // Up to 3 images a product: the first 500 products hold about 1000 images, under the threshold; 1100 pass it.
        _indexOptions = new ShardIndexOptions
        {
            Index = ShardIndexKind.Auto, GraphThreshold = 1600, GraphEfConstruction = 64,
            GraphVectors = graphVectors, VectorStorage = vectorStorage, VectorFolder = VectorFolder,
        };
        var products = SearchTestData.RandomProducts(new Random(2026), count: 1100, Dimension);
        var ghost = new TestProduct("ghost", "tops", [SearchTestData.RandomVector(new Random(5), Dimension)]);

        // Create: an empty folder is an empty shard.
        var shard = await OpenAsync(_store);
        Assert.Equal(new ShardSize(0, 0), shard.Size);
        Assert.Empty(await shard.SearchAsync(new ShardSearch(Queries(1, 1)[0], K, null)));

        // Bulk write, replace, delete: the exact scan answers as brute force does.
        await WriteAsync(shard, products.Take(500));
        var replaced = products[3] with { Category = "bags", Images = [SearchTestData.RandomVector(new Random(6), Dimension)] };
        Assert.False(await shard.UpsertAsync(ToUpsert(replaced)));
        _model[replaced.Id] = replaced;
        foreach (var deleted in products.Take(500).Where((_, i) => i % 7 == 0 && i != 3))
        {
            Assert.True(await shard.DeleteAsync(deleted.Id));
            _model.Remove(deleted.Id);
        }

        Assert.False(await shard.DeleteAsync("never-written"));
        AssertHoldsTheModel(shard);
        await AssertExactAsync(shard);

        // Compact: the log passed its record limit during the load, so a snapshot is written in the background.
        await WaitForAsync(() => File.Exists(SnapshotFile));

        // Crash mid-write: the append is torn and the write fails; the shard never shows it.
        var before = await AnswersAsync(shard);
        _store.TearNextAppend();
        await Assert.ThrowsAsync<IOException>(() => shard.UpsertAsync(ToUpsert(ghost)));
        Assert.Null(shard.Get(ghost.Id));
        await shard.CloseAsync();

        // Reload: a new shard on the same folder holds every acknowledged write, not the torn one, and answers alike.
        shard = await OpenAsync(_store);
        Assert.Null(shard.Get(ghost.Id));
        AssertHoldsTheModel(shard);
        AssertSameAnswers(before, await AnswersAsync(shard));
        await AssertExactAsync(shard);
        Assert.Equal("flat", shard.IndexState.Answering);

        // Graph build: past the threshold the shard builds a graph in the background and answers from it.
        await WriteAsync(shard, products.Skip(500));
        var built = await WaitForGraphAsync(shard);
        Assert.Equal((1, 0), (built.GraphsBuilt, built.GraphsLoaded));
        Assert.Equal(_model.Values.Sum(product => product.Images.Length), built.GraphRows - built.GraphTombstones);
        var (found, wanted) = (0, 0);
        foreach (var query in Queries(seed: 11, count: 30))
        {
            var ranked = BruteForce.Rank(_model.Values, DistanceMetric.Cosine, query);
            var exact = ranked.Take(K).Select(hit => hit.ProductId).ToHashSet();
            var hits = await shard.SearchAsync(new ShardSearch(query, K, null));
            found += hits.Count(hit => exact.Contains(hit.ProductId));
            wanted += exact.Count;

            // Float graphs score with the floats, and an int8 graph's candidates are re-ranked from them: exact scores.
            var scores = ranked.ToDictionary(hit => hit.ProductId, hit => hit.Score);
            Assert.All(hits, hit => Assert.Equal(scores[hit.ProductId], hit.Score, 1e-5));
        }

        Assert.True((double)found / wanted >= MinimumRecall, $"recall@{K} is {(double)found / wanted:F3}, below {MinimumRecall}");

        // The first write that finds no compaction running saves the new graph with a snapshot.
        for (var i = 0; shard.IndexState.GraphsPersisted == 0; i++)
        {
            Assert.True(i < 100, "the graph was never handed to a snapshot");
            var extra = new TestProduct($"extra-{i}", "tops", [SearchTestData.RandomVector(new Random(1000 + i), Dimension)]);
            Assert.True(await shard.UpsertAsync(ToUpsert(extra)));
            _model[extra.Id] = extra;
            await Task.Delay(20);
        }

        var withGraph = await AnswersAsync(shard);
        await shard.CloseAsync();
        Assert.True(File.Exists(Path.Combine(_folder.Path, Folder, "graph")));

        // Reload with the graph: it is loaded, not rebuilt, and answers as before.
        await using var reloaded = await OpenAsync(_store);
        var state = reloaded.IndexState;
        Assert.Equal(("hnsw", false, 1, 0), (state.Answering, state.GraphBuilding, state.GraphsLoaded, state.GraphsBuilt));
        AssertHoldsTheModel(reloaded);
        AssertSameAnswers(withGraph, await AnswersAsync(reloaded));
        await reloaded.CloseAsync();

        // Mapped vectors, their clones and the graph's spools are scratch files that none outlives its use.
        Assert.Empty(Directory.Exists(VectorFolder) ? Directory.GetFiles(VectorFolder) : []);
    }
}
