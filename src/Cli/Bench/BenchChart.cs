using System.Text.Json;
using OutfitFinder.Cli.Charts;

namespace OutfitFinder.Cli.Bench;

/// <summary>Reads the JSON lines of <c>outfit bench index</c> and <c>bench/peers.sh</c> into chart lines.</summary>
internal static class BenchChart
{
    // Our index kinds, as `bench index` names them; the peers name theirs after their library.
    private static readonly HashSet<string> OurKinds = new(StringComparer.Ordinal) { "flat", "int8", "hnsw", "hnsw-int8" };

    /// <summary>
    /// One line per index and thread count, in the order they first appear: our kinds as "ours hnsw" and so on, the
    /// peers' as they name themselves. A line without <c>threads</c> (older output) ran on one thread. Lines that are
    /// not JSON objects (comments, notes) are skipped.
    /// </summary>
    /// <exception cref="BenchInputException">A JSON line lacks index, qps or recall, or no file holds a result.</exception>
    public static IReadOnlyList<RecallQpsChart.Series> Read(IEnumerable<string> paths)
    {
        var points = new Dictionary<(string Index, int Threads), List<RecallQpsChart.Point>>();
        var order = new List<(string Index, int Threads)>();
        foreach (var path in paths)
        {
            var number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                var text = line.Trim();
                if (!text.StartsWith('{'))
                {
                    continue;
                }

                try
                {
                    using var document = JsonDocument.Parse(text);
                    var root = document.RootElement;
                    var index = root.GetProperty("index").GetString() ?? throw new KeyNotFoundException("index");
                    var threads = root.TryGetProperty("threads", out var t) ? t.GetInt32() : 1;
                    var key = (OurKinds.Contains(index) ? $"ours {index}" : index, threads);
                    if (!points.TryGetValue(key, out var list))
                    {
                        points.Add(key, list = []);
                        order.Add(key);
                    }

                    list.Add(new RecallQpsChart.Point(root.GetProperty("recall").GetDouble(), root.GetProperty("qps").GetDouble()));
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new BenchInputException($"'{path}' line {number} is not a result of bench index or bench/peers.sh: {ex.Message}");
                }
            }
        }

        if (order.Count == 0)
        {
            throw new BenchInputException("The files hold no result lines of bench index or bench/peers.sh.");
        }

        return [.. order.Select(key => new RecallQpsChart.Series(key.Index, key.Threads, points[key]))];
    }
}
