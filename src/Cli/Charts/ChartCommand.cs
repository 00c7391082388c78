using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace OutfitFinder.Cli.Charts;

/// <summary>
/// <c>outfit chart --results FILE.json [FILE.json …] --out FILE.png [--k K] [--series NAME …] [--curve]</c>: the comparison
/// chart of <c>outfit eval --chart</c>, drawn from saved <c>outfit eval --json</c> (or <c>outfit study --json</c>) output, so that
/// catalogs evaluated in separate runs can share one chart without searching again. <c>--curve</c> draws the
/// overall top-k accuracy against k instead, one line per catalog.
/// </summary>
internal static class ChartCommand
{
    public static Command Create(CliServices services)
    {
        var results = new Option<FileInfo[]>("--results")
        {
            Description = "Output of outfit eval --json, one or more files. A single-catalog file is named after the file (resnet18.json → resnet18).",
            Required = true,
            HelpName = "FILE.json",
            AllowMultipleArgumentsPerToken = true,
        }.AcceptExistingOnly();
        var output = new Option<FileInfo>("--out") { Description = "PNG file to write.", Required = true, HelpName = "FILE.png" };
        var k = new Option<int?>("--k") { Description = "The k to chart; one the results report. Default: the largest.", HelpName = "K" };
        var title = new Option<string?>("--title") { Description = "Chart title. Default: says the k and the number of queries.", HelpName = "TEXT" };
        var only = new Option<string[]>("--series")
        {
            Description = "Draw only these catalogs (or outfit study combinations, e.g. \"resnet18-rmac, thorough\"), in this order. Default: all, as read.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = true,
        };
        var curve = new Option<bool>("--curve") { Description = "Draw overall top-k accuracy against k (every k the results report), one line per catalog, instead of bars per category." };
        var command = new Command("chart", "Draw the grouped bar chart of top-k accuracy per category (or, with --curve, the top-k curve) from saved outfit eval --json results.")
        {
            results, output, k, title, only, curve,
        };
        command.SetAction((parseResult, _) => Task.FromResult(Run(
            services,
            parseResult.GetRequiredValue(results),
            parseResult.GetRequiredValue(output).FullName,
            parseResult.GetValue(k),
            parseResult.GetValue(title),
            parseResult.GetValue(only) is { Length: > 0 } names ? names : null,
            parseResult.GetValue(curve))));
        return command;
    }

    private static int Run(CliServices services, FileInfo[] files, string outputPath, int? requestedK, string? title, string[]? only, bool curve)
    {
        const string Overall = "overall";
        var series = new List<AccuracyChart.Series>();
        var curves = new List<TopKCurveChart.Series>();
        var categories = new SortedSet<string>(StringComparer.Ordinal);
        int? chartK = requestedK;
        var queries = 0;
        try
        {
            foreach (var file in files)
            {
                using var document = JsonDocument.Parse(File.ReadAllText(file.FullName));
                var root = document.RootElement;
                var entries = root.TryGetProperty("catalogs", out var catalogs)
                    ? [.. catalogs.EnumerateArray().Select(c => (c.GetProperty("catalog").GetString()!, c))]
                    : new List<(string, JsonElement)> { (Path.GetFileNameWithoutExtension(file.Name), root) };
                foreach (var (name, result) in entries)
                {
                    if (only is not null && !only.Contains(name, StringComparer.Ordinal))
                    {
                        continue;
                    }

                    var ks = result.GetProperty("k").EnumerateArray().Select(e => e.GetInt32()).ToList();
                    queries = result.GetProperty("overall").GetProperty("queries").GetInt32();
                    if (curve)
                    {
                        var accuracy = result.GetProperty("overall").GetProperty("accuracy");
                        curves.Add(new TopKCurveChart.Series(name,
                            [.. ks.Order().Select(depth => new TopKCurveChart.Point(depth, accuracy.GetProperty(depth.ToString(CultureInfo.InvariantCulture)).GetDouble()))]));
                        continue;
                    }

                    chartK ??= ks.Max();
                    if (!ks.Contains(chartK.Value))
                    {
                        services.Error.WriteError(string.Create(CultureInfo.InvariantCulture, $"{file.Name} ({name}) has no top-{chartK} accuracy; it reports k = {string.Join(',', ks)}."));
                        return ExitCodes.Failure;
                    }

                    var key = chartK.Value.ToString(CultureInfo.InvariantCulture);
                    var values = new Dictionary<string, double>(StringComparer.Ordinal)
                    {
                        [Overall] = result.GetProperty("overall").GetProperty("accuracy").GetProperty(key).GetDouble(),
                    };
                    foreach (var row in result.GetProperty("categories").EnumerateArray())
                    {
                        var category = row.GetProperty("category").GetString()!;
                        categories.Add(category);
                        values[category] = row.GetProperty("accuracy").GetProperty(key).GetDouble();
                    }

                    series.Add(new AccuracyChart.Series(name, values));
                }
            }

            if (only is not null)
            {
                var found = series.Select(s => s.Name).Concat(curves.Select(c => c.Name)).ToHashSet(StringComparer.Ordinal);
                if (only.FirstOrDefault(name => !found.Contains(name)) is { } missing)
                {
                    services.Error.WriteError($"No catalog named '{missing}' in the results.");
                    return ExitCodes.Failure;
                }

                // In the order asked for: the legend (and the palette) follow it.
                series = [.. series.OrderBy(s => Array.IndexOf(only, s.Name))];
                curves = [.. curves.OrderBy(c => Array.IndexOf(only, c.Name))];
            }

            var folder = Path.GetDirectoryName(outputPath);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            if (curve)
            {
                TopKCurveChart.Save(
                    outputPath,
                    title ?? string.Create(CultureInfo.InvariantCulture, $"Top-k accuracy ({queries} queries)"),
                    curves);
                services.Out.WriteLine($"Chart of {curves.Count} catalogs written to {outputPath}.");
                return ExitCodes.Success;
            }

            AccuracyChart.Save(
                outputPath,
                title ?? string.Create(CultureInfo.InvariantCulture, $"Top-{chartK} accuracy by category ({queries} queries)"),
                AccuracyChart.AccuracyLabel(chartK!.Value),
                [Overall, .. categories],
                series);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            services.Error.WriteError($"Not outfit eval --json output: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            services.Error.WriteError(ex.Message);
            return ExitCodes.Failure;
        }

        services.Out.WriteLine($"Chart of {series.Count} catalogs written to {outputPath}.");
        return ExitCodes.Success;
    }
}
