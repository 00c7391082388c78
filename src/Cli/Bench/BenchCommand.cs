using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Cli.Bench;

/// <summary>
/// <c>outfit bench index</c> (measure an index on .fvecs files) and <c>outfit bench gen</c> (write a
/// reproducible synthetic data set). Both run Core's code in-process; neither needs a gateway.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static Command Create(CliServices services)
    {
        var bench = new Command("bench", "Measure search indexes in-process on .fvecs data sets.");
        bench.Subcommands.Add(IndexCommand(services));
        bench.Subcommands.Add(GenCommand(services));
        bench.Subcommands.Add(PhotosCommand(services));
        bench.Subcommands.Add(ScanCommand(services));
        bench.Subcommands.Add(FilterCommand(services));
        bench.Subcommands.Add(ChartCommand(services));
        return bench;
    }

    private static Command IndexCommand(CliServices services)
    {
        var basePath = new Option<FileInfo>("--base") { Description = "Vectors to index (.fvecs); vector i is product i.", Required = true, HelpName = "FILE" }
            .AcceptExistingOnly();
        var queries = new Option<FileInfo>("--queries") { Description = "Query vectors (.fvecs).", Required = true, HelpName = "FILE" }
            .AcceptExistingOnly();
        var truth = new Option<FileInfo>("--truth")
        {
            Description = "True neighbours per query (.ivecs, base row numbers, best first). Default: computed by exact flat search.",
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var k = PositiveInt("--k", 20, "Results per query, and the depth of recall.", "K");
        var index = new Option<BenchIndexKind>("--index")
        {
            Description = "Index to build: flat (exact), int8 (int8 scan, exact re-rank), hnsw (graph) or hnsw-int8 (graph over int8 codes).",
            Required = true,
            HelpName = "flat|int8|hnsw|hnsw-int8",
            CustomParser = ParseIndex,
        };
        var parameters = new Option<string[]>("--param")
        {
            Description = $"Per-query setting, repeatable, one result line each: rerank=N[,N...] for int8 (default rerank={Int8VectorIndex.DefaultRerank}); ef=N[,N...], m=N, efConstruction=N for hnsw and hnsw-int8 (defaults ef={HnswIndex.DefaultEf}, m=16, efConstruction=200, one build for all ef); none for flat.",
            HelpName = "NAME=VALUE",
        };
        var threads = new Option<int[]>("--threads")
        {
            Description = "Threads running queries at once; several counts (--threads 1 2) measure each setting at each on one build.",
            HelpName = "N",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1],
        };
        threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is not { Length: > 0 } counts || counts.Any(count => count < 1))
            {
                result.AddError("--threads takes one or more counts of at least 1.");
            }
        });
        var buildThreads = PositiveInt("--build-threads", 1, "Threads building the hnsw graph (the other indexes build on one).", "N");
        var metric = MetricOption();

        var command = new Command("index", "Build an index from .fvecs vectors, run every query and print one JSON line per setting.")
        {
            basePath, queries, truth, k, index, parameters, threads, buildThreads, metric,
        };
        SetBenchAction(command, services, (parseResult, cancellationToken) =>
        {
            var kind = parseResult.GetRequiredValue(index);
            var options = new IndexBenchmarkOptions(
                parseResult.GetRequiredValue(basePath).FullName,
                parseResult.GetRequiredValue(queries).FullName,
                parseResult.GetValue(truth)?.FullName,
                parseResult.GetValue(k),
                kind,
                BenchSetting.Parse(kind, parseResult.GetValue(parameters) ?? []),
                [.. (parseResult.GetValue(threads) ?? [1]).Distinct()],
                parseResult.GetValue(metric),
                parseResult.GetValue(buildThreads));

            PrintJsonLines(services, IndexBenchmark.Run(options, Note(services), cancellationToken));
        });
        return command;
    }

    private static Command ScanCommand(CliServices services)
    {
        var basePath = new Option<FileInfo>("--base") { Description = "Vectors to scan (.fvecs).", Required = true, HelpName = "FILE" }
            .AcceptExistingOnly();
        var queries = new Option<FileInfo>("--queries")
        {
            Description = "Query vectors (.fvecs). Default: the first base vectors.",
            HelpName = "FILE",
        }.AcceptExistingOnly();
        var k = PositiveInt("--k", 20, "Results per query of the index searches.", "K");
        var batches = new Option<int[]>("--batch")
        {
            Description = "Batch sizes of the batched kernel and search, one line each.",
            HelpName = "N",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1, 4, 16, 64],
        };
        batches.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is { } values && (values.Length == 0 || values.Any(value => value < 1)))
            {
                result.AddError("--batch takes one or more sizes of at least 1.");
            }
        });
        var seconds = new Option<double>("--seconds")
        {
            Description = "Measuring time per group of cases, after as long again of warm-up.",
            HelpName = "S",
            DefaultValueFactory = _ => 3,
        };
        seconds.Validators.Add(result =>
        {
            if (!(result.GetValueOrDefault<double>() is > 0 and <= 3600))
            {
                result.AddError("--seconds must be more than 0 and at most 3600.");
            }
        });

        var command = new Command("scan",
            "Measure the exact scan single-threaded: bytes/s beside a plain streaming read of the same vectors, then batched GFLOP/s.")
        {
            basePath, queries, k, batches, seconds,
        };
        SetBenchAction(command, services, (parseResult, cancellationToken) =>
        {
            var options = new ScanBenchmarkOptions(
                parseResult.GetRequiredValue(basePath).FullName,
                parseResult.GetValue(queries)?.FullName,
                parseResult.GetValue(k),
                parseResult.GetValue(batches) ?? [1],
                parseResult.GetValue(seconds));
            PrintJsonLines(services, ScanBenchmark.Run(options, cancellationToken));
        });
        return command;
    }

    private static Command FilterCommand(CliServices services)
    {
        var basePath = new Option<FileInfo>("--base") { Description = "Vectors to index (.fvecs).", Required = true, HelpName = "FILE" }
            .AcceptExistingOnly();
        var queries = new Option<FileInfo>("--queries") { Description = "Query vectors (.fvecs).", Required = true, HelpName = "FILE" }
            .AcceptExistingOnly();
        var k = PositiveInt("--k", 20, "Results per query, and the depth of recall.", "K");
        var shares = new Option<double[]>("--shares")
        {
            Description = "Shares of the rows a filter keeps: one category per value, summing to at most 1; with --metadata, nested thresholds on a number field (any values up to 1).",
            HelpName = "SHARE",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4],
        };
        shares.Validators.Add(result =>
        {
            var values = result.GetValueOrDefault<double[]>() ?? [];
            if (values.Length == 0 || values.Any(value => !(value > 0 && value <= 1)))
            {
                result.AddError("--shares takes one or more shares above 0 and at most 1.");
            }
        });
        var efs = new Option<int[]>("--ef")
        {
            Description = "Walk widths to measure.",
            HelpName = "EF",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [HnswIndex.DefaultEf],
        };
        efs.Validators.Add(result =>
        {
            if ((result.GetValueOrDefault<int[]>() ?? []) is var values && (values.Length == 0 || values.Any(value => value < 1)))
            {
                result.AddError("--ef takes one or more widths of at least 1.");
            }
        });
        var buildThreads = PositiveInt("--build-threads", 1, "Threads building the graph.", "N");
        var metric = MetricOption();
        var metadata = new Option<bool>("--metadata")
        {
            Description = "Filter on a number field (nested shares, tested by a row predicate as a shard's field index does) instead of by category.",
        };

        var command = new Command("filter",
            "Measure filtered search both ways on one graph: walking it and scanning the matching rows, per share; notes the crossover and the cost constant it implies.")
        {
            basePath, queries, k, shares, efs, buildThreads, metric, metadata,
        };
        command.Validators.Add(result =>
        {
            if (!result.GetValue(metadata) && (result.GetValue(shares) ?? []).Sum() > 1 + 1e-9)
            {
                result.AddError("With categories, --shares must sum to at most 1 (each share is its own category); --metadata nests them.");
            }
        });
        SetBenchAction(command, services, (parseResult, cancellationToken) =>
        {
            var options = new FilterBenchmarkOptions(
                parseResult.GetRequiredValue(basePath).FullName,
                parseResult.GetRequiredValue(queries).FullName,
                parseResult.GetValue(k),
                parseResult.GetValue(shares) ?? [],
                parseResult.GetValue(efs) ?? [],
                parseResult.GetValue(metric),
                new HnswOptions(),
                parseResult.GetValue(buildThreads),
                parseResult.GetValue(metadata));
            PrintJsonLines(services, FilterBenchmark.Run(options, Note(services), cancellationToken));
        });
        return command;
    }

    private static Command GenCommand(CliServices services)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for base.fvecs, queries.fvecs and truth.ivecs; created if missing.", Required = true, HelpName = "DIR" };
        var count = PositiveInt("--count", 10_000, "Base vectors.", "N");
        var queries = PositiveInt("--queries", 100, "Query vectors, from the same clusters.", "M");
        var dimension = PositiveInt("--dim", 512, "Values per vector.", "D");
        var seed = new Option<int>("--seed") { Description = "Everything written follows from it.", HelpName = "S", DefaultValueFactory = _ => 42 };
        var clusters = new Option<int?>("--clusters") { Description = "Cluster centres. Default: about √count.", HelpName = "C" };
        clusters.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--clusters must be at least 1.");
            }
        });
        var spread = new Option<float>("--spread")
        {
            Description = "Standard deviation of each value around its cluster centre, whose values have 1. Wider clusters " +
                "overlap, and their nearest neighbours are harder for a graph to find: 0.5 (the default) is an easy set, 1 a hard one.",
            HelpName = "S",
            DefaultValueFactory = _ => Lab.Vectors.ClusteredVectors.DefaultSpread,
        };
        spread.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<float>();
            if (!(value > 0f && value <= 100f))
            {
                result.AddError("--spread must be more than 0 and at most 100.");
            }
        });
        var depth = PositiveInt("--truth-k", 100, "Exact neighbours listed per query in truth.ivecs.", "K");
        var threads = PositiveInt("--threads", Environment.ProcessorCount, "Threads computing the truth.", "N");
        var metric = MetricOption();

        var command = new Command("gen", "Write clustered synthetic base and query vectors (.fvecs) with their exact neighbours (.ivecs).")
        {
            output, count, queries, dimension, seed, clusters, spread, depth, threads, metric,
        };
        SetBenchAction(command, services, (parseResult, cancellationToken) =>
        {
            var options = new SyntheticDatasetOptions(
                parseResult.GetRequiredValue(output).FullName,
                parseResult.GetValue(count),
                parseResult.GetValue(queries),
                parseResult.GetValue(dimension),
                parseResult.GetValue(seed),
                parseResult.GetValue(clusters),
                parseResult.GetValue(depth),
                parseResult.GetValue(metric),
                parseResult.GetValue(threads),
                parseResult.GetValue(spread));
            if ((long)options.Count * options.Dimension > Array.MaxLength)
            {
                throw new BenchInputException($"{options.Count} vectors of dimension {options.Dimension} do not fit in one block.");
            }

            var files = SyntheticDataset.Write(options, cancellationToken);
            services.Out.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {files.BasePath} ({options.Count}×{options.Dimension}, {files.Clusters} clusters of spread {options.Spread}), " +
                $"{files.QueriesPath} ({options.Queries}×{options.Dimension}) and {files.TruthPath} " +
                $"(top {files.TruthDepth}, {DistanceMetrics.ToWireName(options.Metric)})."));
        });
        return command;
    }

    private static Command PhotosCommand(CliServices services)
    {
        var photos = new Option<DirectoryInfo>("--photos") { Description = "Folder of .jpg/.jpeg/.png photos, searched recursively.", Required = true, HelpName = "DIR" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for base.fvecs, queries.fvecs and truth.ivecs; created if missing.", Required = true, HelpName = "DIR" };
        var limit = new Option<int?>("--limit") { Description = "Most photos used, the first by path. Default: all.", HelpName = "N" };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--limit must be at least 1.");
            }
        });
        var views = new Option<int>("--views") { Description = "Synthetic consumer views of each photo embedded beside it.", HelpName = "N", DefaultValueFactory = _ => 1 };
        views.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 100)
            {
                result.AddError("--views must be between 0 and 100.");
            }
        });
        var queries = PositiveInt("--queries", 500, "Photos of which one more view each is a query.", "M");
        var seed = new Option<int>("--seed") { Description = "Chooses the query photos and every view's changes.", HelpName = "S", DefaultValueFactory = _ => 42 };
        var depth = PositiveInt("--truth-k", 100, "Exact neighbours (cosine) listed per query in truth.ivecs.", "K");
        var command = new Command("photos", "Write a data set of real ResNet18 embeddings: photos and consumer views of them as base, more views as queries, with exact cosine neighbours.")
        {
            photos, output, limit, views, queries, seed, depth,
        };
        SetBenchAction(command, services, (parseResult, cancellationToken) =>
        {
            var options = new PhotoDatasetOptions(
                parseResult.GetRequiredValue(photos).FullName,
                parseResult.GetRequiredValue(output).FullName,
                parseResult.GetValue(limit),
                parseResult.GetValue(views),
                parseResult.GetValue(queries),
                parseResult.GetValue(seed),
                parseResult.GetValue(depth));
            var note = Note(services);
            var reported = 0;
            var files = PhotoDataset.Write(options, (done, total) =>
            {
                if (done - reported >= 500 || done == total)
                {
                    reported = done;
                    note(string.Create(CultureInfo.InvariantCulture, $"embedded {done} of {total}"));
                }
            }, note, cancellationToken);
            services.Out.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {files.BasePath}, {files.QueriesPath} and {files.TruthPath} (top {files.TruthDepth}, cosine)."));
        });
        return command;
    }

    private static Command ChartCommand(CliServices services)
    {
        var results = new Option<FileInfo[]>("--results")
        {
            Description = "JSON lines of outfit bench index and bench/peers.sh, one or more files; other lines are skipped.",
            Required = true,
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = true,
        }.AcceptExistingOnly();
        var output = new Option<FileInfo>("--out") { Description = "PNG file to write.", Required = true, HelpName = "FILE.png" };
        var title = new Option<string>("--title") { Description = "Chart title.", HelpName = "TEXT", DefaultValueFactory = _ => "Recall and queries per second" };
        var k = PositiveInt("--k", 20, "The k the recall was measured at, for the axis label.", "K");
        var command = new Command("chart", "Draw recall against queries per second (ScottPlot PNG), one line per index and query thread count.")
        {
            results, output, title, k,
        };
        SetBenchAction(command, services, (parseResult, _) =>
        {
            var series = BenchChart.Read(parseResult.GetRequiredValue(results).Select(file => file.FullName));
            var path = parseResult.GetRequiredValue(output).FullName;
            var folder = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            Charts.RecallQpsChart.Save(path, parseResult.GetRequiredValue(title),
                string.Create(CultureInfo.InvariantCulture, $"recall@{parseResult.GetValue(k)}"), series);
            services.Out.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Chart of {series.Count} lines written to {path}."));
        });
        return command;
    }

    /// <summary>
    /// Prints each result as one JSON line as soon as it is measured, written around Spectre.Console so that
    /// nothing wraps or reflows the line.
    /// </summary>
    private static void PrintJsonLines<T>(CliServices services, IEnumerable<T> results)
    {
        var writer = services.Out.Profile.Out.Writer;
        foreach (var result in results)
        {
            writer.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
            writer.Flush();
        }
    }

    /// <summary>Lines for a person beside the results, on stderr so that stdout stays JSON lines.</summary>
    private static Action<string> Note(CliServices services)
    {
        var notes = services.Error.Profile.Out.Writer;
        return line => notes.WriteLine(line);
    }

    /// <summary>
    /// Runs a benchmark action, turning failures a user can act on (bad or mismatched files, unwritable
    /// folders) into one red line on stderr and a non-zero exit code instead of a stack trace.
    /// </summary>
    private static void SetBenchAction(Command command, CliServices services, Action<ParseResult, CancellationToken> action)
    {
        command.SetAction((parseResult, cancellationToken) =>
        {
            try
            {
                action(parseResult, cancellationToken);
                return Task.FromResult(ExitCodes.Success);
            }
            catch (Exception ex) when (ex is BenchInputException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                services.Error.WriteError(ex.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                services.Error.WriteError("Cancelled.");
                return Task.FromResult(ExitCodes.Cancelled);
            }

            return Task.FromResult(ExitCodes.Failure);
        });
    }

    private static Option<int> PositiveInt(string name, int defaultValue, string description, string helpName)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{name} must be at least 1.");
            }
        });
        return option;
    }

    private static Option<DistanceMetric> MetricOption() => new("--metric")
    {
        Description = "cosine, dot, l2 or l1; a truth file must have been made with the same. l2 is the metric of the public ANN benchmark files.",
        HelpName = "METRIC",
        DefaultValueFactory = _ => DistanceMetric.L2,
        CustomParser = result =>
        {
            var value = result.Tokens[^1].Value;
            if (DistanceMetrics.TryParse(value, out var metric))
            {
                return metric;
            }

            result.AddError($"--metric must be cosine, dot, l2 or l1, got '{value}'.");
            return DistanceMetric.L2;
        },
    };

    private static BenchIndexKind ParseIndex(ArgumentResult result)
    {
        var value = result.Tokens[^1].Value;
        switch (value.ToLowerInvariant())
        {
            case "flat":
                return BenchIndexKind.Flat;
            case "int8":
                return BenchIndexKind.Int8;
            case "hnsw":
                return BenchIndexKind.Hnsw;
            case "hnsw-int8":
                return BenchIndexKind.HnswInt8;
            default:
                result.AddError($"--index must be flat, int8, hnsw or hnsw-int8, got '{value}'.");
                return BenchIndexKind.Flat;
        }
    }
}
