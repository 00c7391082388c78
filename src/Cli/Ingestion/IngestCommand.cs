using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OutfitFinder.Cli.Http;
using OutfitFinder.Core.Ingestion;
using Spectre.Console;

namespace OutfitFinder.Cli.Ingestion;

/// <summary><c>outfit ingest --catalog C --manifest FILE [--parallel 4]</c>, or server-side with <c>--source NAME</c> / <c>--attach ID</c>.</summary>
internal static class IngestCommand
{
    /// <summary>How many bad rows and failures are listed; the counts always cover all of them.</summary>
    internal const int ListedProblems = 10;

    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Option<string>("--catalog") { Description = "Catalog to upload into.", Required = true, HelpName = "NAME" };
        var manifest = new Option<string>("--manifest")
        {
            Description = "CSV with a header: product_id, image (relative to the manifest's folder) or instead a vector made "
                + "elsewhere (vector: numbers; or vector_file: a .f32/.bin/.npy file, with vector_row for a file of many), optional "
                + "category; other columns become metadata. JSON Lines for .jsonl. With --source, a path inside that source.",
            HelpName = "PATH",
        };
        var source = new Option<string>("--source")
        {
            Description = "Ingest server-side from this source (named in the cluster's Ingestion:Sources configuration) "
                + "instead of uploading from this machine; the job survives the CLI and the gateway.",
            HelpName = "NAME",
        };
        var attach = new Option<string>("--attach") { Description = "Follow an existing server-side job.", HelpName = "ID" };
        var id = new Option<string>("--id")
        {
            Description = "Id for a new server-side job; starting the same id again follows that job instead of starting another.",
            HelpName = "ID",
        };
        var parallel = new Option<int>("--parallel") { Description = "Products uploaded at once (local manifests).", HelpName = "N", DefaultValueFactory = _ => 4 };
        parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
            {
                result.AddError("--parallel must be between 1 and 64.");
            }
        });

        var command = new Command("ingest", "Upload the products of a manifest, several images per product, or run and follow a server-side ingestion.")
        {
            catalog, manifest, source, attach, id, parallel,
        };
        command.Validators.Add(result =>
        {
            var hasManifest = result.GetValue(manifest) is not null;
            if (result.GetValue(attach) is not null)
            {
                if (hasManifest || result.GetValue(source) is not null)
                {
                    result.AddError("--attach follows an existing job; it takes no --manifest or --source.");
                }
            }
            else if (!hasManifest)
            {
                result.AddError("--manifest is required (or --attach ID to follow a job).");
            }
            else if (result.GetValue(source) is null && !File.Exists(result.GetValue(manifest)))
            {
                result.AddError($"File does not exist: '{result.GetValue(manifest)}'.");
            }
        });
        command.SetGatewayAction(services, gateway, (parseResult, client, cancellationToken) =>
        {
            var server = new ServerIngestion(services, client, services.PollInterval, TimeSpan.FromMinutes(5));
            if (parseResult.GetValue(attach) is { } job)
            {
                return server.AttachAsync(parseResult.GetRequiredValue(catalog), job, cancellationToken);
            }

            if (parseResult.GetValue(source) is { } sourceName)
            {
                return server.StartAsync(parseResult.GetRequiredValue(catalog),
                    new StartIngestionBody(sourceName, parseResult.GetRequiredValue(manifest), parseResult.GetValue(id)), cancellationToken);
            }

            return RunAsync(
                services,
                client,
                parseResult.GetRequiredValue(catalog),
                Path.GetFullPath(parseResult.GetRequiredValue(manifest)),
                parseResult.GetValue(parallel),
                cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        CliServices services, GatewayClient client, string catalog, string manifestPath, int parallelism, CancellationToken cancellationToken)
    {
        IngestionPlan plan;
        try
        {
            using var reader = Manifests.OpenFile(manifestPath);
            plan = IngestionPlan.FromRows(reader.ReadRows());
        }
        catch (ManifestException ex)
        {
            services.Error.WriteError(ex.Message);
            return ExitCodes.Failure;
        }

        WriteBadRows(services.Error, plan.BadRows);
        if (plan.Products.Count == 0)
        {
            WriteSummary(services.Out, plan, new UploadReport(0, 0, []), TimeSpan.Zero);
            return plan.BadRows.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }

        // One cheap request first: a wrong catalog name or a stopped gateway is one clear error,
        // not the same failure repeated for every product.
        var info = await client.GetCatalogAsync(catalog, cancellationToken);

        var images = plan.Products.Sum(p => p.Upload.ImagePaths.Count);
        var vectors = plan.Products.Where(p => p.Upload.GivesVectors).Sum(p => p.Upload.Vectors!.Count);
        services.Out.MarkupLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Uploading {plan.Products.Count} products ({images} images{(vectors > 0 ? $", {vectors} vectors made elsewhere" : "")}) to catalog [bold]{Markup.Escape(catalog)}[/] "
            + $"at {Markup.Escape(client.Gateway.ToString())}, {parallelism} at a time."));

        var uploader = new ProductUploader(client, catalog, parallelism, info.Dimension);
        var total = plan.Products.Count;
        var stopwatch = Stopwatch.StartNew();
        UploadReport report;
        if (services.Out.Profile.Out.IsTerminal && services.Out.Profile.Capabilities.Interactive)
        {
            report = await services.Out.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(context =>
                {
                    var task = context.AddTask(LiveUploadProgress.Describe(0, 0, total), maxValue: total);
                    return uploader.UploadAsync(plan.Products, new LiveUploadProgress(task, total), cancellationToken);
                });
        }
        else
        {
            report = await uploader.UploadAsync(plan.Products, new PlainUploadProgress(services.Out, total), cancellationToken);
        }

        WriteSummary(services.Out, plan, report, stopwatch.Elapsed);
        return report.Failures.Count == 0 && plan.BadRows.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static void WriteBadRows(IAnsiConsole console, IReadOnlyList<BadRow> badRows)
    {
        foreach (var row in badRows.Take(ListedProblems))
        {
            var product = row.ProductId is null ? "" : $" (product '{row.ProductId}')";
            console.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"row {row.RowNumber}{product}: {row.Reason}"));
        }

        if (badRows.Count > ListedProblems)
        {
            console.WriteWarning(string.Create(
                CultureInfo.InvariantCulture, $"… and {badRows.Count - ListedProblems} more bad rows."));
        }
    }

    private static void WriteSummary(IAnsiConsole console, IngestionPlan plan, UploadReport report, TimeSpan elapsed)
    {
        var succeeded = report.Created + report.Replaced;
        var failed = report.Failures.Count + plan.Skipped.Count;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"Succeeded: {succeeded} products ({report.Created} created, {report.Replaced} replaced). "
            + $"Failed: {failed} products. Bad rows: {plan.BadRows.Count}. Took {elapsed.TotalSeconds:0.0} s.");
        console.MarkupLine(failed == 0 && plan.BadRows.Count == 0 ? $"[green]{line}[/]" : $"[red]{line}[/]");

        var reasons = report.Failures
            .Select(f => (FirstRow: f.Product.Rows[0], Text: $"{Where(f.Product.Upload.ProductId, f.Product.Rows)}: {f.Reason}"))
            .Concat(plan.Skipped.Select(s => (FirstRow: s.Rows[0], Text:
                $"{Where(s.ProductId, s.Rows)}: not uploaded, bad {Rows(s.BadRows)}")))
            .OrderBy(r => r.FirstRow)
            .ToList();
        if (reasons.Count == 0)
        {
            return;
        }

        console.WriteLine(reasons.Count > ListedProblems
            ? string.Create(CultureInfo.InvariantCulture, $"First {ListedProblems} of {reasons.Count} failures:")
            : "Failures:");
        foreach (var reason in reasons.Take(ListedProblems))
        {
            console.MarkupLine($"  {Markup.Escape(reason.Text)}");
        }
    }

    private static string Where(string productId, IReadOnlyList<int> rows) => $"product '{productId}' ({Rows(rows)})";

    private static string Rows(IReadOnlyList<int> rows) =>
        (rows.Count == 1 ? "row " : "rows ") + string.Join(", ", rows.Select(r => r.ToString(CultureInfo.InvariantCulture)));
}
