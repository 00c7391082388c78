using System.CommandLine;
using System.Globalization;
using OutfitFinder.Core.Extraction;
using Spectre.Console;

namespace OutfitFinder.Cli.Study;

/// <summary>
/// <c>outfit study --shop CSV --queries CSV [--max-queries N] [--seed S] [--head FILE]… [--cache DIR] [--json FILE] [--models DIR]</c>: measures, in
/// this process and without a gateway, every combination of ResNet18 pooling × query localisation ×
/// crop fusion × re-ranking on one query set, from one run of the model over each photo and crop.
/// </summary>
/// <remarks>
/// A lab command: the served path (gateway, extractor grains, shards) gives the same vectors for
/// the same crops, but running every combination through it would embed every query crop once per
/// combination. Here each crop's last activation map is computed once and pooled four ways.
/// </remarks>
internal static class StudyCommand
{
    public static Command Create(CliServices services)
    {
        var shop = new Option<FileInfo>("--shop") { Description = "Gallery manifest (product_id,image,category), e.g. test_shop.csv of outfit pairs.", Required = true, HelpName = "CSV" };
        var queries = new Option<FileInfo>("--queries") { Description = "Instance queries (image,product_id,category), e.g. test_queries.csv.", Required = true, HelpName = "CSV" };
        var maxQueries = new Option<int>("--max-queries") { Description = "Use at most this many queries, drawn with --seed (0: all).", HelpName = "N", DefaultValueFactory = _ => 400 };
        var seed = new Option<int>("--seed") { Description = "Chooses the queries when sub-sampling.", HelpName = "S", DefaultValueFactory = _ => 1 };
        var head = new Option<FileInfo[]>("--head")
        {
            Description = "A learned head (outfit train) to measure as well, on the pooling its base model names (resnet18: avg, "
                + "resnet18-gem: gem, resnet18-rmac: rmac), with every localisation and fusion; repeat for several.",
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = false,
        };
        var cache = new Option<DirectoryInfo?>("--cache")
        {
            Description = "Folder of base-vector caches shared with outfit train --cache: photos and crops already embedded are read "
                + "from it and new ones added (the thorough latency is then timed on the first queries only).",
            HelpName = "DIR",
        };
        var json = new Option<FileInfo?>("--json")
        {
            Description = "Also write every combination's top-1…20 accuracy, overall and per category, as outfit eval --json does; outfit chart draws it.",
            HelpName = "FILE",
        };
        var models = new Option<DirectoryInfo?>("--models") { Description = "Model folder holding another ResNet18 graph of the same shape (e.g. one written by outfit-finetune); default: the packaged one.", HelpName = "DIR" };
        var command = new Command(
            "study",
            "Measure ResNet18 retrieval in-process for every pooling (average, GeM, R-MAC, salient window), localisation (none, "
            + "fast, thorough crops), crop fusion (max, rank) and re-ranking (query expansion, database augmentation) on one "
            + "query set; prints Markdown tables of top-1/5/10/20 and MRR@20, per category for the best, and embedding time per query.")
        {
            shop, queries, maxQueries, seed, head, cache, json, models,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var settings = new StudySettings(
                parseResult.GetRequiredValue(shop).FullName,
                parseResult.GetRequiredValue(queries).FullName,
                parseResult.GetValue(maxQueries),
                parseResult.GetValue(seed),
                [.. (parseResult.GetValue(head) ?? []).Select(file => file.FullName)],
                parseResult.GetValue(cache)?.FullName,
                parseResult.GetValue(json)?.FullName)
            {
                ModelDirectory = parseResult.GetValue(models)?.FullName,
            };
            if (settings.ModelDirectory is not null && settings.CacheFolder is not null)
            {
                // The caches are keyed by space name only: vectors of another graph would be mixed with the packaged one's.
                services.Error.WriteError("--models and --cache cannot be used together: the caches hold the packaged ResNet18's vectors.");
                return Task.FromResult(ExitCodes.Failure);
            }

            try
            {
                var report = new StudyRunner(settings, (done, total) =>
                {
                    if (done % 50 == 0 || done == total)
                    {
                        services.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedded {done}/{total}"));
                    }
                }).Run(cancellationToken);
                services.Out.Profile.Width = CliApp.UnwrappedWidth;
                services.Out.WriteLine(report);
                return Task.FromResult(ExitCodes.Success);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                services.Error.WriteError(ex.Message);
                return Task.FromResult(ExitCodes.Failure);
            }
        });
        return command;
    }
}

/// <summary>What <c>outfit study</c> was asked to measure; <paramref name="JsonFile"/>, when set, receives the combinations' accuracies (<see cref="StudyJson"/>).</summary>
internal sealed record StudySettings(
    string ShopCsv, string QueriesCsv, int MaxQueries, int Seed, IReadOnlyList<string> HeadFiles, string? CacheFolder = null, string? JsonFile = null)
{
    /// <summary>Folder of the ResNet18 graph to measure (<see cref="OnnxEmbedderOptions.ModelDirectory"/>); null for the packaged one.</summary>
    public string? ModelDirectory { get; init; }
}
