using System.CommandLine;
using System.Globalization;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Catalogs;

/// <summary><c>outfit catalog create NAME</c> and <c>outfit catalog show NAME</c>.</summary>
internal static class CatalogCommands
{
    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Command("catalog", "Create and inspect catalogs.");
        catalog.Subcommands.Add(CreateCommand(services, gateway));
        catalog.Subcommands.Add(ShowCommand(services, gateway));
        return catalog;
    }

    private static Command CreateCommand(CliServices services, Option<Uri> gateway)
    {
        var name = NameArgument();
        // Unset options are not sent, so the gateway's defaults apply (resnet18, cosine, 4 shards today).
        var model = new Option<string?>("--model") { HelpName = "MODEL", Description = "Feature extractor, e.g. resnet18. Default: the gateway's." };
        var metric = new Option<string?>("--metric") { HelpName = "METRIC", Description = "Similarity metric, e.g. cosine. Default: the gateway's." };
        var shards = new Option<int?>("--shards") { HelpName = "N", Description = "Number of index shards. Default: the gateway's." };
        shards.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--shards must be at least 1.");
            }
        });

        var localise = new Option<string?>("--localise")
        {
            HelpName = "none|fast|thorough",
            Description = "How photo searches that do not say find the garment: none (whole photo, fastest), fast (5 crops) or thorough (14 crops). Default: the gateway's.",
        };
        localise.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !Core.Localisation.QueryRegions.TryParse(text, out _, out var error))
            {
                result.AddError($"--{error}");
            }
        });

        var command = new Command("create", "Create a catalog; succeeds if it already exists with the same settings.")
        {
            name, model, metric, shards, localise,
        };
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var catalogName = parseResult.GetRequiredValue(name);
            var settings = new CatalogSettings(parseResult.GetValue(model), parseResult.GetValue(metric), parseResult.GetValue(shards))
            {
                Localise = Search.SearchCommand.Localise(parseResult.GetValue(localise)),
            };
            var outcome = await client.PutCatalogAsync(catalogName, settings, cancellationToken);
            services.Out.MarkupLine(outcome == PutOutcome.Created
                ? $"Created catalog [bold]{Markup.Escape(catalogName)}[/]."
                : $"Catalog [bold]{Markup.Escape(catalogName)}[/] already exists with the same settings.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ShowCommand(CliServices services, Option<Uri> gateway)
    {
        var name = NameArgument();
        var command = new Command("show", "Show a catalog's settings and size.") { name };
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var info = await client.GetCatalogAsync(parseResult.GetRequiredValue(name), cancellationToken);
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (field, value) in Fields(info))
            {
                grid.AddRow(new Text(field, new Style(decoration: Decoration.Bold)), new Text(value));
            }

            services.Out.Write(grid);
            return ExitCodes.Success;
        });
        return command;
    }

    private static IEnumerable<(string Field, string Value)> Fields(CatalogInfo info)
    {
        var culture = CultureInfo.InvariantCulture;
        // A field the gateway left out reads as null despite the record's annotations; show it blank.
        yield return ("Name", info.Name ?? "");
        yield return ("Model", info.Model ?? "");
        yield return ("Metric", info.Metric ?? "");
        yield return ("Dimension", info.Dimension.ToString(culture));
        yield return ("Shards", info.Shards.ToString(culture));
        yield return ("Products", info.Products.ToString(culture));
        yield return ("Images", info.Images.ToString(culture));
    }

    private static Argument<string> NameArgument()
    {
        var name = new Argument<string>("NAME") { Description = "Catalog name." };
        name.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("The catalog name must not be empty.");
            }
        });
        return name;
    }
}
