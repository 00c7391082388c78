using System.Text.Json;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.Core.Search;
using OutfitFinder.Lab.Vectors;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Bench;

public sealed class BenchCommandTests : IDisposable
{
    // 300 base vectors of 16 values, 25 queries: small enough for a unit test, big enough for a top 20.
    private const int Count = 300;
    private const int Queries = 25;
    private const int Dimension = 16;

    private static readonly string[] ResultFields =
        ["index", "param", "threads", "buildSeconds", "qps", "p50Ms", "p99Ms", "recall", "bytesPerVector"];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Gen_WritesBaseQueriesAndExactTruth_ThatReadBack()
    {
        var result = await GenerateAsync("data", seed: 3, "--truth-k", "30", "--metric", "cosine");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("(top 30, cosine)", result.Output);
        var vectors = Fvecs.ReadFloatBlock(Path.Combine(_folder.Path, "data", "base.fvecs"));
        var queries = Fvecs.ReadFloatBlock(Path.Combine(_folder.Path, "data", "queries.fvecs"));
        var truth = Fvecs.ReadIntBlock(Path.Combine(_folder.Path, "data", "truth.ivecs"));
        Assert.Equal((Count, Dimension), (vectors.Count, vectors.Dimension));
        Assert.Equal((Queries, Dimension), (queries.Count, queries.Dimension));
        Assert.Equal((Queries, 30), (truth.Count, truth.Dimension));

        // Each truth row is the 30 base rows of highest cosine similarity, best first, by a plain loop.
        for (var q = 0; q < Queries; q++)
        {
            var expected = Enumerable.Range(0, Count)
                .OrderByDescending(i => DistanceMetrics.Score(DistanceMetric.Cosine, queries[q], vectors[i]))
                .Take(30)
                .ToArray();
            Assert.Equal(expected, truth[q].ToArray());
        }
    }

    [Fact]
    public async Task Gen_WritesIdenticalFiles_ForTheSameSeed_AndOthersForAnother()
    {
        await GenerateAsync("a", seed: 9);
        await GenerateAsync("b", seed: 9);
        await GenerateAsync("c", seed: 10);

        foreach (var file in new[] { "base.fvecs", "queries.fvecs", "truth.ivecs" })
        {
            Assert.Equal(ReadBytes("a", file), ReadBytes("b", file));
        }

        Assert.NotEqual(ReadBytes("a", "base.fvecs"), ReadBytes("c", "base.fvecs"));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(3.0)]
    public async Task Gen_DrawsVectorsAroundTheirCentreWithTheGivenSpread(double spread)
    {
        // One cluster: every vector is the one centre plus N(0, spread²) noise per value, so the values' spread
        // around the mean vector is the spread asked for.
        var result = await GenerateAsync("data", seed: 5, "--clusters", "1", "--spread", $"{spread}");

        Assert.Equal(0, result.ExitCode);
        var vectors = Fvecs.ReadFloatBlock(Path.Combine(_folder.Path, "data", "base.fvecs"));
        var mean = new double[Dimension];
        for (var i = 0; i < vectors.Count; i++)
        {
            for (var d = 0; d < Dimension; d++)
            {
                mean[d] += vectors[i][d] / (double)vectors.Count;
            }
        }

        var squares = 0.0;
        for (var i = 0; i < vectors.Count; i++)
        {
            for (var d = 0; d < Dimension; d++)
            {
                squares += Math.Pow(vectors[i][d] - mean[d], 2);
            }
        }

        var measured = Math.Sqrt(squares / ((vectors.Count - 1) * Dimension));
        Assert.InRange(measured, 0.95 * spread, 1.05 * spread);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public async Task Gen_RefusesSpread_ThatIsNotPositive(string spread)
    {
        var result = await GenerateAsync("data", seed: 5, "--spread", spread);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--spread must be more than 0 and at most 100.", result.Output);
    }

    [Fact]
    public async Task BenchIndex_PrintsOneJsonObjectWithEveryField_AndRecallOneForFlat()
    {
        await GenerateAsync("data", seed: 1);

        var result = await BenchAsync("data", "--index", "flat", "--threads", "3");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(JsonLines(result));
        Assert.Equal(ResultFields, line.EnumerateObject().Select(property => property.Name));
        Assert.Equal("flat", line.GetProperty("index").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("param").ValueKind);
        Assert.Equal(1.0, line.GetProperty("recall").GetDouble());
        Assert.Equal(Dimension * sizeof(float), line.GetProperty("bytesPerVector").GetInt32());
        Assert.True(line.GetProperty("buildSeconds").GetDouble() >= 0);
        Assert.True(line.GetProperty("qps").GetDouble() > 0);
        Assert.InRange(line.GetProperty("p50Ms").GetDouble(), 0, line.GetProperty("p99Ms").GetDouble());
    }

    [Fact]
    public async Task BenchIndex_PrintsOneLinePerRerankSetting_ForInt8()
    {
        await GenerateAsync("data", seed: 2);

        var result = await BenchAsync("data", "--index", "int8", "--param", "rerank=1,2", "--param", "rerank=15");

        Assert.Equal(0, result.ExitCode);
        var lines = JsonLines(result);
        Assert.Equal(["rerank=1", "rerank=2", "rerank=15"], lines.Select(line => line.GetProperty("param").GetString()));
        Assert.All(lines, line => Assert.Equal("int8", line.GetProperty("index").GetString()));
        Assert.All(lines, line => Assert.InRange(line.GetProperty("recall").GetDouble(), 0.5, 1.0));

        // 15 × 20 candidates cover all 300 products, so the re-rank sees everything: exact.
        Assert.Equal(1.0, lines[2].GetProperty("recall").GetDouble());

        // l2: 16 code bytes + scale + squared norm + 16 floats.
        Assert.All(lines, line => Assert.Equal(16 + 4 + 4 + 64, line.GetProperty("bytesPerVector").GetInt32()));

        // One build serves every setting.
        Assert.Single(lines.Select(line => line.GetProperty("buildSeconds").GetDouble()).Distinct());
    }

    [Fact]
    public async Task BenchIndex_PrintsOneLinePerEfSetting_ForHnswOnOneBuild()
    {
        await GenerateAsync("data", seed: 4);

        var result = await BenchAsync("data", "--index", "hnsw", "--param", "ef=8,300", "--param", "m=6",
            "--param", "efConstruction=50", "--threads", "2");

        Assert.Equal(0, result.ExitCode);
        var lines = JsonLines(result);
        Assert.All(lines, line => Assert.Equal(ResultFields, line.EnumerateObject().Select(property => property.Name)));
        Assert.Equal(["ef=8 m=6 efConstruction=50", "ef=300 m=6 efConstruction=50"],
            lines.Select(line => line.GetProperty("param").GetString()));
        Assert.All(lines, line => Assert.Equal("hnsw", line.GetProperty("index").GetString()));
        Assert.Single(lines.Select(line => line.GetProperty("buildSeconds").GetDouble()).Distinct());

        // ef 300 keeps every one of the 300 products as a candidate: the graph walk reaches them all, so it is exact.
        Assert.InRange(lines[0].GetProperty("recall").GetDouble(), 0.5, 1.0);
        Assert.Equal(1.0, lines[1].GetProperty("recall").GetDouble());

        // The vector plus at least the level-0 list (count + 2m ids).
        Assert.True(lines[0].GetProperty("bytesPerVector").GetInt32() >= (Dimension * 4) + ((1 + 12) * 4));
    }

    [Fact]
    public async Task BenchIndex_MeasuresEachSettingAtEachThreadCount_OnOneBuild()
    {
        await GenerateAsync("data", seed: 6);

        var result = await BenchAsync("data", "--index", "hnsw", "--param", "ef=16,32", "--threads", "1", "2");

        Assert.Equal(0, result.ExitCode);
        var lines = JsonLines(result);
        Assert.Equal(
            [("ef=16 m=16 efConstruction=200", 1), ("ef=16 m=16 efConstruction=200", 2),
             ("ef=32 m=16 efConstruction=200", 1), ("ef=32 m=16 efConstruction=200", 2)],
            lines.Select(line => (line.GetProperty("param").GetString(), line.GetProperty("threads").GetInt32())));
        Assert.Single(lines.Select(line => line.GetProperty("buildSeconds").GetDouble()).Distinct());

        // The same graph and queries answer alike on any number of threads.
        Assert.Equal(lines[0].GetProperty("recall").GetDouble(), lines[1].GetProperty("recall").GetDouble());
        Assert.Equal(lines[2].GetProperty("recall").GetDouble(), lines[3].GetProperty("recall").GetDouble());
    }

    [Fact]
    public async Task BenchChart_DrawsOneLinePerIndexAndThreadCount_FromOursAndThePeersLines()
    {
        var ours = Path.Combine(_folder.Path, "ours.jsonl");
        var peers = Path.Combine(_folder.Path, "peers.jsonl");
        await File.WriteAllLinesAsync(ours,
        [
            "# a note the run wrote",
            """{"index":"hnsw","param":"ef=32","threads":1,"qps":5000,"recall":0.9}""",
            """{"index":"hnsw","param":"ef=64","threads":1,"qps":3000,"recall":0.97}""",
            """{"index":"hnsw","param":"ef=64","threads":2,"qps":5500,"recall":0.97}""",
        ]);
        await File.WriteAllLinesAsync(peers,
        [
            """{"index": "hnswlib", "param": "ef=32", "threads": 1, "qps": 4000.0, "recall": 0.91}""",
            """{"index": "faiss-flat", "param": "IndexFlatL2", "threads": 1, "qps": 40.0, "recall": 1.0}""",
        ]);
        var png = Path.Combine(_folder.Path, "charts", "hard.png");

        var result = await RunAsync("bench", "chart", "--results", ours, peers, "--out", png, "--title", "hard set");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Chart of 4 lines written to", result.Output);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    public async Task BenchChart_FailsWithTheLine_WhenAResultLacksRecall()
    {
        var ours = Path.Combine(_folder.Path, "ours.jsonl");
        await File.WriteAllLinesAsync(ours, ["""{"index":"hnsw","qps":5000,"recall":0.9}""", """{"index":"hnsw","qps":3000}"""]);

        var result = await RunAsync("bench", "chart", "--results", ours, "--out", Path.Combine(_folder.Path, "x.png"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 2 is not a result of bench index or bench/peers.sh", result.Output);
        Assert.False(File.Exists(Path.Combine(_folder.Path, "x.png")));
    }

    [Fact]
    public async Task BenchIndex_BuildsTheGraphOverInt8Codes_ForHnswInt8()
    {
        await GenerateAsync("data", seed: 5, "--metric", "cosine");

        var floats = JsonLines(await BenchAsync("data", "--index", "hnsw", "--param", "ef=300", "--param", "m=6", "--metric", "cosine"));
        var result = await BenchAsync("data", "--index", "hnsw-int8", "--param", "ef=300", "--param", "m=6", "--metric", "cosine");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(JsonLines(result));
        Assert.Equal("hnsw-int8", line.GetProperty("index").GetString());

        // One byte a value plus the scale instead of four bytes a value; the same links.
        var floatBytes = Assert.Single(floats).GetProperty("bytesPerVector").GetInt32();
        Assert.Equal(floatBytes - (Dimension * 4) + Dimension + 4, line.GetProperty("bytesPerVector").GetInt32());

        // ef 300 reaches every product; only the codes' rounding can reorder near-ties at the edge of the top k.
        Assert.InRange(line.GetProperty("recall").GetDouble(), 0.95, 1.0);
        Assert.Contains("hnsw-int8: the build grew the managed heap by", result.Output);
    }

    [Fact]
    public async Task BenchIndex_RefusesHnswInt8_ForL2()
    {
        await GenerateAsync("data", seed: 6);

        var result = await BenchAsync("data", "--index", "hnsw-int8", "--metric", "l2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--index hnsw-int8 supports --metric cosine or dot.", result.Output);
    }

    [Fact]
    public async Task BenchFilter_MeasuresTheScanAndEachWalkPerShare_WithTheScanExact()
    {
        await GenerateAsync("data", seed: 7, "--metric", "cosine");

        var result = await RunAsync("bench", "filter",
            "--base", Path.Combine(_folder.Path, "data", "base.fvecs"),
            "--queries", Path.Combine(_folder.Path, "data", "queries.fvecs"),
            "--metric", "cosine", "--k", "5", "--shares", "0.1", "0.5", "--ef", "8", "300");

        Assert.Equal(0, result.ExitCode);
        var lines = JsonLines(result);
        Assert.Equal(
            [(0.1, "scan", (int?)null), (0.1, "walk", 8), (0.1, "walk", 300), (0.5, "scan", null), (0.5, "walk", 8), (0.5, "walk", 300)],
            lines.Select(line => (line.GetProperty("share").GetDouble(), line.GetProperty("strategy").GetString(),
                line.GetProperty("ef").ValueKind == JsonValueKind.Null ? (int?)null : line.GetProperty("ef").GetInt32())));
        Assert.All(lines.Where(line => line.GetProperty("strategy").GetString() == "scan"),
            line => Assert.Equal(1.0, line.GetProperty("recall").GetDouble()));

        // ef 300 keeps every row as a candidate, so the walk finds the whole category too.
        Assert.All(lines.Where(line => line.TryGetProperty("ef", out var ef) && ef.ValueKind == JsonValueKind.Number && ef.GetInt32() == 300),
            line => Assert.Equal(1.0, line.GetProperty("recall").GetDouble()));

        // Each category holds about its share of the 300 rows.
        var rows = lines.Where(line => line.GetProperty("strategy").GetString() == "scan")
            .Select(line => line.GetProperty("rows").GetInt32()).ToArray();
        Assert.InRange(rows[0], 15, 50);
        Assert.InRange(rows[1], 120, 180);
    }

    [Fact]
    public async Task BenchFilter_RefusesShares_ThatSumPastOne()
    {
        await GenerateAsync("data", seed: 8);

        var result = await RunAsync("bench", "filter",
            "--base", Path.Combine(_folder.Path, "data", "base.fvecs"),
            "--queries", Path.Combine(_folder.Path, "data", "queries.fvecs"),
            "--shares", "0.6", "0.6");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("With categories, --shares must sum to at most 1 (each share is its own category); --metadata nests them.", result.Output);
    }

    [Fact]
    public async Task BenchIndex_MeasuresRecallAgainstExactSearch_WhenTruthIsAbsent()
    {
        await GenerateAsync("data", seed: 4, "--metric", "dot");
        var baseFile = Path.Combine(_folder.Path, "data", "base.fvecs");
        var queryFile = Path.Combine(_folder.Path, "data", "queries.fvecs");

        var flat = await RunAsync("bench", "index", "--base", baseFile, "--queries", queryFile, "--index", "flat", "--metric", "dot");
        var int8 = await RunAsync("bench", "index", "--base", baseFile, "--queries", queryFile, "--index", "int8",
            "--metric", "dot", "--param", "rerank=15", "--k", "10");

        Assert.Equal(1.0, Assert.Single(JsonLines(flat)).GetProperty("recall").GetDouble());
        Assert.Equal(1.0, Assert.Single(JsonLines(int8)).GetProperty("recall").GetDouble());
    }

    [Fact]
    public async Task BenchIndex_MeasuresLowRecall_WhenTruthWasMadeForAnotherMetric()
    {
        // Truth for l2 judged against a dot-product search: the numbers must not look perfect.
        await GenerateAsync("data", seed: 5);

        var result = await BenchAsync("data", "--index", "flat", "--metric", "dot");

        Assert.True(Assert.Single(JsonLines(result)).GetProperty("recall").GetDouble() < 1.0);
    }

    [Fact]
    public async Task BenchIndex_FailsWithReason_WhenBaseFileIsTruncated()
    {
        await GenerateAsync("data", seed: 6);
        var baseFile = Path.Combine(_folder.Path, "data", "base.fvecs");
        using (var stream = File.OpenWrite(baseFile))
        {
            stream.SetLength(stream.Length - 10);
        }

        var result = await BenchAsync("data", "--index", "flat");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: '{baseFile}' is truncated: vector {Count - 1} at byte {(Count - 1) * 68}", result.Output);
        Assert.DoesNotContain("{", result.Output);
    }

    [Fact]
    public async Task BenchIndex_FailsWithReason_WhenQueryDimensionDiffers()
    {
        await GenerateAsync("data", seed: 7);
        var queries = _folder.WriteBytes("other.fvecs", FvecsBytes(new float[8], dimension: 8));

        var result = await RunAsync("bench", "index", "--base", Path.Combine(_folder.Path, "data", "base.fvecs"),
            "--queries", queries, "--index", "flat");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: The queries have dimension 8 but the base vectors 16.", result.Output);
    }

    [Fact]
    public async Task BenchIndex_FailsWithReason_WhenTruthIsShallowerThanK()
    {
        await GenerateAsync("data", seed: 8, "--truth-k", "10");

        var result = await BenchAsync("data", "--index", "flat", "--k", "20");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lists 10 neighbours per query; --k 20 needs at least 20.", result.Output);
    }

    [Theory]
    [InlineData("flat", "rerank=2", "error: --index flat takes no --param; got 'rerank=2'.")]
    [InlineData("int8", "nprobe=2", "error: --index int8 takes --param rerank=N[,N...]; got 'nprobe=2'.")]
    [InlineData("hnsw", "rerank=2", "error: --index hnsw and hnsw-int8 take --param ef=N[,N...], m=N and efConstruction=N; got 'rerank=2'.")]
    [InlineData("hnsw", "m=1", "error: m must be at least 2; got '1' in 'm=1'.")]
    [InlineData("int8", "rerank=0", "error: rerank must be a whole number of at least 1; got '0' in 'rerank=0'.")]
    public async Task BenchIndex_RejectsParam_ThatTheIndexDoesNotTake(string index, string param, string expected)
    {
        await GenerateAsync("data", seed: 11);

        var result = await BenchAsync("data", "--index", index, "--param", param);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Output);
    }

    [Fact]
    public async Task BenchIndex_RejectsUnknownIndex_BeforeReadingFiles()
    {
        await GenerateAsync("data", seed: 12);

        var result = await BenchAsync("data", "--index", "ivf");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--index must be flat, int8, hnsw or hnsw-int8, got 'ivf'.", result.Output);
    }

    private Task<CliResult> GenerateAsync(string folder, int seed, params string[] extra) =>
        RunAsync([
            "bench", "gen", "--out", Path.Combine(_folder.Path, folder), "--count", $"{Count}", "--queries", $"{Queries}",
            "--dim", $"{Dimension}", "--seed", $"{seed}", "--threads", "2", .. extra,
        ]);

    private Task<CliResult> BenchAsync(string folder, params string[] extra) =>
        RunAsync([
            "bench", "index",
            "--base", Path.Combine(_folder.Path, folder, "base.fvecs"),
            "--queries", Path.Combine(_folder.Path, folder, "queries.fvecs"),
            "--truth", Path.Combine(_folder.Path, folder, "truth.ivecs"),
            .. extra,
        ]);

    private static Task<CliResult> RunAsync(params string[] args) =>
        CliHarness.RunAsync(FakeGateway.Refusing(), args);

    private byte[] ReadBytes(string folder, string file) => File.ReadAllBytes(Path.Combine(_folder.Path, folder, file));

    private static List<JsonElement> JsonLines(CliResult result) =>
    [
        .. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement),
    ];

    private static byte[] FvecsBytes(float[] values, int dimension)
    {
        using var stream = new MemoryStream();
        Fvecs.WriteFloats(stream, values, dimension);
        return stream.ToArray();
    }
}
