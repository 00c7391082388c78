using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Evaluation;

/// <summary><c>outfit eval --catalog C --queries FILE [--k 1,5,10,20] [--json] [--parallel 4]</c>.</summary>
internal static class EvalCommand
{
    /// <summary>How many bad rows are listed; the count always covers all of them.</summary>
    internal const int ListedProblems = 10;

    internal static readonly int[] DefaultKs = [1, 5, 10, 20];

    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Option<string>("--catalog") { Description = "Catalog to search.", Required = true, HelpName = "NAME" };
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
            catalog, queries, ks, json, parallel,
        };
        command.SetGatewayAction(services, gateway, (parseResult, client, cancellationToken) => RunAsync(
            services,
            client,
            parseResult.GetRequiredValue(catalog),
            parseResult.GetRequiredValue(queries).FullName,
            parseResult.GetRequiredValue(ks),
            parseResult.GetValue(json),
            parseResult.GetValue(parallel),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliServices services,
        GatewayClient client,
        string catalog,
        string queriesPath,
        int[] ks,
        bool json,
        int parallelism,
        CancellationToken cancellationToken)
    {
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
            });

        for (var i = 0; i < good.Count; i++)
        {
            accuracy.Add(good[i].Category, ranks[i], good[i].IsInstance);
        }

        if (partial > 0)
        {
            services.Error.WriteWarning(string.Create(CultureInfo.InvariantCulture,
                $"{partial} searches returned partial results (some shards did not answer), so accuracy may be understated."));
        }

        if (json)
        {
            // Written around Spectre.Console so that nothing wraps or reflows the document.
            services.Out.Profile.Out.Writer.WriteLine(ToJson(accuracy));
        }
        else
        {
            WriteTable(services.Out, accuracy, catalog, bad.Count);
        }

        return ExitCodes.Success;
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
