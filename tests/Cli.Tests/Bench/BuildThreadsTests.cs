using System.Text.Json;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Bench;

public sealed class BuildThreadsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Index_BuildsHnswOnSeveralThreads_WithTheRecallOfTheExactTruth()
    {
        await GenerateAsync();

        var result = await IndexAsync("--index", "hnsw", "--param", "ef=100", "--build-threads", "3");

        Assert.Equal(0, result.ExitCode);
        var line = JsonDocument.Parse(result.Output.Split('\n').First(text => text.TrimStart().StartsWith('{'))).RootElement;
        Assert.Equal("hnsw", line.GetProperty("index").GetString());
        Assert.True(line.GetProperty("recall").GetDouble() >= 0.95, result.Output);
    }

    [Fact]
    public async Task Index_RejectsZeroBuildThreads()
    {
        await GenerateAsync();

        var result = await IndexAsync("--index", "hnsw", "--build-threads", "0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--build-threads must be at least 1.", result.Output);
    }

    private Task<CliResult> GenerateAsync() =>
        CliHarness.RunAsync(FakeGateway.Refusing(),
            "bench", "gen", "--out", _folder.Path, "--count", "800", "--queries", "20", "--dim", "16", "--seed", "4", "--threads", "1");

    private Task<CliResult> IndexAsync(params string[] extra) =>
        CliHarness.RunAsync(FakeGateway.Refusing(), [
            "bench", "index",
            "--base", Path.Combine(_folder.Path, "base.fvecs"),
            "--queries", Path.Combine(_folder.Path, "queries.fvecs"),
            "--truth", Path.Combine(_folder.Path, "truth.ivecs"),
            .. extra,
        ]);
}
