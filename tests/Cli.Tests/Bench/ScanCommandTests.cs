using System.Text.Json;
using OutfitFinder.Cli.Tests.Infrastructure;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Cli.Tests.Bench;

public sealed class ScanCommandTests : IDisposable
{
    private const int Count = 600;
    private const int Queries = 8;
    private const int Dimension = 24;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Scan_PrintsBandwidthBesideTheStreamingRead_AndOneBatchedLinePerSize()
    {
        await GenerateAsync();

        var result = await ScanAsync("--batch", "1", "4", "--seconds", "0.05");

        Assert.Equal(0, result.ExitCode);
        var lines = JsonLines(result);
        Assert.Equal(
            ["stream/1", "kernel/1", "search/1", "batch-kernel/1", "batch-search/1", "batch-kernel/4", "batch-search/4"],
            lines.Select(line => $"{line.GetProperty("case").GetString()}/{line.GetProperty("batch").GetInt32()}"));
        Assert.Equal(1.0, lines[0].GetProperty("vsStream").GetDouble());
        foreach (var line in lines)
        {
            Assert.Equal(Count, line.GetProperty("vectors").GetInt32());
            Assert.True(line.GetProperty("passes").GetInt32() >= 1);

            // Every pass reads all vectors once and does 2 × batch × count × dimension operations; msPerPass is
            // printed to 0.001 ms, so the rates are checked against the range that rounding leaves.
            var ms = line.GetProperty("msPerPass").GetDouble();
            var slowest = (ms + 0.0005) / 1000;
            var fastest = Math.Max(ms - 0.0005, 1e-9) / 1000;
            var batch = line.GetProperty("batch").GetInt32();
            Assert.InRange(line.GetProperty("qps").GetDouble(), (batch / slowest) - 0.1, (batch / fastest) + 0.1);
            var operations = 2.0 * batch * Count * Dimension / 1e9;
            Assert.InRange(line.GetProperty("gflops").GetDouble(), (operations / slowest) - 0.01, (operations / fastest) + 0.01);
        }
    }

    [Fact]
    public async Task Scan_Fails_WhenABatchNeedsMoreQueriesThanTheFileHolds()
    {
        await GenerateAsync();

        var result = await ScanAsync("--batch", "9", "--seconds", "0.05");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"A batch of 9 needs 9 queries", result.Output);
    }

    [Theory]
    [InlineData("--seconds", "0", "--seconds must be more than 0")]
    [InlineData("--batch", "0", "--batch takes one or more sizes of at least 1.")]
    public async Task Scan_RejectsBadOptions(string option, string value, string message)
    {
        await GenerateAsync();

        var result = await ScanAsync(option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Output);
    }

    private Task<CliResult> GenerateAsync() =>
        RunAsync("bench", "gen", "--out", _folder.Path, "--count", $"{Count}", "--queries", $"{Queries}",
            "--dim", $"{Dimension}", "--seed", "5", "--threads", "1");

    private Task<CliResult> ScanAsync(params string[] extra) =>
        RunAsync([
            "bench", "scan",
            "--base", Path.Combine(_folder.Path, "base.fvecs"),
            "--queries", Path.Combine(_folder.Path, "queries.fvecs"),
            .. extra,
        ]);

    private static Task<CliResult> RunAsync(params string[] args) =>
        CliHarness.RunAsync(FakeGateway.Refusing(), args);

    private static List<JsonElement> JsonLines(CliResult result) =>
    [
        .. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement),
    ];
}
