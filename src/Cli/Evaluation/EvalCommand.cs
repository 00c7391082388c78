using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Evaluation;

/// <summary><c>outfit eval --catalog C [--catalog C2 …] --queries FILE [--k 1,5,10,20] [--json] [--parallel 4] [--chart FILE.png [--chart-k K]]</c>.</summary>
internal static class EvalCommand
{
    /// <summary>How many bad rows are listed; the count always covers all of them.</summary>
    internal const int ListedProblems = 10;

    internal static readonly int[] DefaultKs = [1, 5, 10, 20];

    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Option<string[]>("--catalog")
        {
            Description = "Catalog to search; repeat it (or give several names) to compare catalogs side by side on the same queries.",
            Required = true,
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = true,
        };
        var queries = new Option<FileInfo>("--queries")
        {
            Description = "CSV with a header: image (relative to the file's folder), product_id (empty for a "
                + "category-only query), optional category.",
            Required = true,
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var ks = new Option<int[]>("--k")
        {
            Description = "Depths to report top-k accuracy at, comma-separated; each query is searched with the largest.",
            HelpName = "K[,K...]",
            DefaultValueFactory = _ => DefaultKs,
            CustomParser = ParseKs,
        };
        var json = new Option<bool>("--json") { Description = "Print the numbers as JSON instead of a table." };
        var chart = new Option<FileInfo>("--chart")
        {
            Description = "Also draw a grouped bar chart (PNG) of top-k accuracy per category, one bar per catalog.",
            HelpName = "FILE.png",
        };
        var chartK = new Option<int?>("--chart-k") { Description = "The k the chart shows; one of --k. Default: the largest.", HelpName = "K" };
        var parallel = new Option<int>("--parallel") { Description = "Searches at once.", HelpName = "N", DefaultValueFactory = _ => 4 };
        parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
            {
                result.AddError("--parallel must be between 1 and 64.");
            }
        });

        var command = new Command("eval", "Measure retrieval quality: top-k accuracy and MRR of searches with labelled photos.")
        {
            catalog, queries, ks, json, parallel, chart, chartK,
        };
        command.SetGatewayAction(services, gateway, (parseResult, client, cancellationToken) => RunAsync(
            services,
            client,
            [.. parseResult.GetRequiredValue(catalog).Distinct(StringComparer.Ordinal)],
            parseResult.GetRequiredValue(queries).FullName,
            parseResult.GetRequiredValue(ks),
            parseResult.GetValue(json),
            parseResult.GetValue(parallel),
            new ChartRequest(parseResult.GetValue(chart)?.FullName, parseResult.GetValue(chartK)),
            cancellationToken));
        return command;
    }

    /// <summary>Where to draw the comparison chart (null: no chart) and at which k (null: the largest).</summary>
    private sealed record ChartRequest(string? Path, int? K);

    private static async Task<int> RunAsync(
        CliServices services,
        GatewayClient client,
        string[] catalogs,
        string queriesPath,
        int[] ks,
        bool json,
        int parallelism,
        ChartRequest chart,
        CancellationToken cancellationToken)
    {
        var chartK = chart.K ?? ks.Max();
        if (chart.Path is not null && !ks.Contains(chartK))
        {
            services.Error.WriteError(string.Create(CultureInfo.InvariantCulture, $"--chart-k {chartK} is not one of --k {string.Join(',', ks)}."));
            return ExitCodes.Failure;
        }

        List<EvaluationQuery> rows;
        try
        {
            using var reader = QueriesReader.Open(queriesPath);
            rows = [.. reader.ReadRows()];
        }
        catch (QueriesException ex)
        {
            services.Error.WriteError(ex.Message);
            return ExitCodes.Failure;
        }

        var bad = rows.Where(row => row.Problems.Count > 0).ToList();
        foreach (var row in bad.Take(ListedProblems))
        {
            services.Error.WriteWarning(string.Create(
                CultureInfo.InvariantCulture, $"row {row.RowNumber} skipped: {string.Join("; ", row.Problems)}"));
        }

        if (bad.Count > ListedProblems)
        {
            services.Error.WriteWarning(string.Create(
                CultureInfo.InvariantCulture, $"… and {bad.Count - ListedProblems} more bad rows."));
        }

        var good = rows.Where(row => row.Problems.Count == 0).ToList();
        if (good.Count == 0)
        {
            services.Error.WriteError("No query could be evaluated: the queries file has no usable rows.");
            return ExitCodes.Failure;
        }

        var results = new List<(string Catalog, TopKAccuracy Accuracy)>();
        foreach (var catalog in catalogs)
        {
            var (accuracy, partial) = await WithProgressAsync(services.Error, catalog, good.Count,
                queryDone => EvaluateAsync(client, catalog, good, ks, parallelism, queryDone, cancellationToken));
            if (partial > 0)
            {
                services.Error.WriteWarning(string.Create(CultureInfo.InvariantCulture,
                    $"{catalog}: {partial} searches returned partial results (some shards did not answer), so accuracy may be understated."));
            }

            results.Add((catalog, accuracy));
        }

        if (json)
        {
            // Written around Spectre.Console so that nothing wraps or reflows the document.
            services.Out.Profile.Out.Writer.WriteLine(results.Count == 1 ? ToJson(results[0].Accuracy) : ToJson(results));
        }
        else
        {
            foreach (var (catalog, accuracy) in results)
            {
                WriteTable(services.Out, accuracy, catalog, bad.Count);
            }

            if (results.Count > 1)
            {
                WriteComparison(services.Out, results);
            }
        }

        if (chart.Path is not null)
        {
            try
            {
                SaveChart(chart.Path, chartK, Path.GetFileName(queriesPath), results);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                services.Error.WriteError($"Cannot write the chart '{chart.Path}': {ex.Message}");
                return ExitCodes.Failure;
            }

            services.Error.WriteLine($"Chart written to {chart.Path}.");
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Runs <paramref name="run"/> with a progress bar on a terminal, or, when the output is redirected,
    /// a plain line at most every 5 seconds (none for a run shorter than that). Written to the error
    /// stream so that <c>--json</c> output stays a clean document.
    /// </summary>
    private static async Task<T> WithProgressAsync<T>(IAnsiConsole console, string catalog, int total, Func<Action, Task<T>> run)
    {
        if (console.Profile.Out.IsTerminal && console.Profile.Capabilities.Interactive)
        {
            return await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape($"{catalog}: {total} queries"), maxValue: total);
                    return await run(() => task.Increment(1));
                });
        }

        var done = 0;
        var lastLine = Stopwatch.GetTimestamp();
        var gate = new Lock();
        return await run(() =>
        {
            var now = Interlocked.Increment(ref done);
            lock (gate)
            {
                if (Stopwatch.GetElapsedTime(lastLine) >= TimeSpan.FromSeconds(5))
                {
                    lastLine = Stopwatch.GetTimestamp();
                    console.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{catalog}: {now}/{total} queries searched"));
                }
            }
        });
    }

    /// <summary>Searches every query once with k = the largest K and counts where its relevant result ranked.</summary>
    private static async Task<(TopKAccuracy Accuracy, int Partial)> EvaluateAsync(
        GatewayClient client, string catalog, IReadOnlyList<EvaluationQuery> good, int[] ks, int parallelism, Action queryDone, CancellationToken cancellationToken)
    {
        var accuracy = new TopKAccuracy(ks);
        var ranks = new int?[good.Count];
        var partial = 0;
        // The query's category is deliberately not sent as a filter: a filtered search would make
        // category-level hits certain and hide the confusions the evaluation is meant to measure.
        await Parallel.ForEachAsync(
            Enumerable.Range(0, good.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var (response, _) = await client.SearchAsync(catalog, good[i].ImagePath, accuracy.MaxK, category: null, token);
                ranks[i] = good[i].FirstRelevantRank(response.Results);
                if (response.Partial)
                {
                    Interlocked.Increment(ref partial);
                }

                queryDone();
            });

        for (var i = 0; i < good.Count; i++)
        {
            accuracy.Add(good[i].Category, ranks[i], good[i].IsInstance);
        }

        return (accuracy, partial);
    }

    /// <summary>One row per catalog: overall top-k and MRR, for reading several catalogs at a glance.</summary>
    private static void WriteComparison(IAnsiConsole console, IReadOnlyList<(string Catalog, TopKAccuracy Accuracy)> results)
    {
        var culture = CultureInfo.InvariantCulture;
        var table = new Table().Title("Overall, by catalog").AddColumn("Catalog").AddColumn(new TableColumn("n").RightAligned());
        foreach (var k in results[0].Accuracy.Ks)
        {
            table.AddColumn(new TableColumn(string.Create(culture, $"top-{k}")).RightAligned());
        }

        table.AddColumn(new TableColumn("MRR").RightAligned());
        foreach (var (catalog, accuracy) in results)
        {
            var row = accuracy.Overall;
            var cells = new List<Text> { new(catalog), new(row.Queries.ToString(culture)) };
            cells.AddRange(row.Accuracy.Select(value => new Text(Percent(value))));
            cells.Add(new Text(row.MeanReciprocalRank is { } mrr ? mrr.ToString("0.000", culture) : "-"));
            table.AddRow(cells);
        }

        console.Write(table);
    }

    /// <summary>Groups: overall, then every category any catalog reported, in ordinal order; one bar per catalog.</summary>
    private static void SaveChart(string path, int k, string queriesName, IReadOnlyList<(string Catalog, TopKAccuracy Accuracy)> results)
    {
        const string Overall = "overall";
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var categories = results.SelectMany(r => r.Accuracy.ByCategory.Select(row => row.Category!)).Distinct().Order(StringComparer.Ordinal);
        var series = results.Select(r =>
        {
            var index = r.Accuracy.Ks.ToList().IndexOf(k);
            var values = r.Accuracy.ByCategory.ToDictionary(row => row.Category!, row => row.Accuracy[index], StringComparer.Ordinal);
            values[Overall] = r.Accuracy.Overall.Accuracy[index];
            return new Charts.AccuracyChart.Series(r.Catalog, values);
        }).ToList();
        Charts.AccuracyChart.Save(
            path,
            string.Create(CultureInfo.InvariantCulture, $"Top-{k} accuracy by category ({queriesName}, {results[0].Accuracy.Overall.Queries} queries)"),
            Charts.AccuracyChart.AccuracyLabel(k),
            [Overall, .. categories],
            series);
    }

    private static int[] ParseKs(ArgumentResult result)
    {
        var values = new List<int>();
        foreach (var token in result.Tokens)
        {
            foreach (var part in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1)
                {
                    result.AddError($"--k takes positive whole numbers separated by commas, e.g. 1,5,10,20; got '{token.Value}'.");
                    return DefaultKs;
                }

                values.Add(k);
            }
        }

        if (values.Count == 0)
        {
            result.AddError("--k needs at least one depth, e.g. 1,5,10,20.");
            return DefaultKs;
        }

        return [.. values.Distinct().Order()];
    }

    private static void WriteTable(IAnsiConsole console, TopKAccuracy accuracy, string catalog, int skipped)
    {
        var culture = CultureInfo.InvariantCulture;
        var table = new Table().AddColumn("Queries").AddColumn(new TableColumn("n").RightAligned());
        foreach (var k in accuracy.Ks)
        {
            table.AddColumn(new TableColumn(string.Create(culture, $"top-{k}")).RightAligned());
        }

        table.AddColumn(new TableColumn("MRR").RightAligned());
        foreach (var row in (IEnumerable<AccuracyRow>)[accuracy.Overall, .. accuracy.ByCategory])
        {
            var cells = new List<Text>
            {
                new(row.Category ?? "overall"),
                new(row.Queries.ToString(culture)),
            };
            cells.AddRange(row.Accuracy.Select(value => new Text(Percent(value))));
            cells.Add(new Text(row.MeanReciprocalRank is { } mrr ? mrr.ToString("0.000", culture) : "-"));
            table.AddRow(cells);
        }

        console.Write(table);
        var overall = accuracy.Overall;
        console.WriteLine(string.Create(culture,
            $"{overall.Queries} queries on catalog {catalog} ({overall.InstanceQueries} by product, "
            + $"{overall.Queries - overall.InstanceQueries} by category), {skipped} rows skipped; "
            + $"each searched for the top {accuracy.MaxK}."));
    }

    internal static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// <c>{"k":[1,5],"overall":{"queries":5,"instanceQueries":4,"accuracy":{"1":0.4,"5":0.8},"mrr":0.5},"categories":[{"category":"Dress",…}]}</c>:
    /// accuracies as fractions, full precision.
    /// </summary>
    internal static string ToJson(TopKAccuracy accuracy)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("k");
            foreach (var k in accuracy.Ks)
            {
                writer.WriteNumberValue(k);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("overall");
            WriteRow(writer, accuracy.Ks, accuracy.Overall);
            writer.WriteStartArray("categories");
            foreach (var row in accuracy.ByCategory)
            {
                WriteRow(writer, accuracy.Ks, row);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary><c>{"catalogs":[{"catalog":"a","k":[…],"overall":{…},"categories":[…]},…]}</c>: one single-catalog document per catalog.</summary>
    internal static string ToJson(IReadOnlyList<(string Catalog, TopKAccuracy Accuracy)> results)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("catalogs");
            foreach (var (catalog, accuracy) in results)
            {
                using var single = JsonDocument.Parse(ToJson(accuracy));
                writer.WriteStartObject();
                writer.WriteString("catalog", catalog);
                foreach (var property in single.RootElement.EnumerateObject())
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteRow(Utf8JsonWriter writer, IReadOnlyList<int> ks, AccuracyRow row)
    {
        writer.WriteStartObject();
        if (row.Category is not null)
        {
            writer.WriteString("category", row.Category);
        }

        writer.WriteNumber("queries", row.Queries);
        writer.WriteNumber("instanceQueries", row.InstanceQueries);
        writer.WriteStartObject("accuracy");
        for (var i = 0; i < ks.Count; i++)
        {
            writer.WriteNumber(ks[i].ToString(CultureInfo.InvariantCulture), row.Accuracy[i]);
        }

        writer.WriteEndObject();
        if (row.MeanReciprocalRank is { } mrr)
        {
            writer.WriteNumber("mrr", mrr);
        }
        else
        {
            writer.WriteNull("mrr");
        }

        writer.WriteEndObject();
    }
}
