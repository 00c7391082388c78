using System.CommandLine;
using System.Globalization;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Catalogs;

/// <summary><c>outfit catalog create NAME</c> and <c>outfit catalog show NAME</c>.</summary>
internal static class CatalogCommands
{
    /// <summary>Longest vector the gateway accepts for a catalog of model none.</summary>
    private const int MaxDimension = 4096;

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
        var model = new Option<string?>("--model")
        {
            HelpName = "MODEL",
            Description = "Feature extractor, e.g. resnet18, or none for vectors made elsewhere (needs --dimension). Default: the gateway's.",
        };
        var dimension = new Option<int?>("--dimension")
        {
            HelpName = "N",
            Description = $"Vector length, 1–{MaxDimension}: required with --model none; otherwise the model's.",
        };
        dimension.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > MaxDimension)
            {
                result.AddError($"--dimension must be between 1 and {MaxDimension}.");
            }
        });
        var fields = new Option<string?>("--fields")
        {
            HelpName = "NAME:TYPE,...",
            Description = "Metadata fields indexed for search filters, each string or number, e.g. price:number,brand:string. "
                + "Run again with more to add them.",
        };
        fields.Validators.Add(result =>
        {
            if (ParseFields(result.GetValueOrDefault<string?>(), out var error) is null && error is not null)
            {
                result.AddError(error);
            }
        });
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
            name, model, metric, shards, localise, dimension, fields,
        };
        command.Validators.Add(result =>
        {
            if (string.Equals(result.GetValue(model), "none", StringComparison.OrdinalIgnoreCase) && result.GetValue(dimension) is null)
            {
                result.AddError("--model none makes a catalog of vectors made elsewhere: give their length with --dimension N.");
            }
        });
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var catalogName = parseResult.GetRequiredValue(name);
            var settings = new CatalogSettings(parseResult.GetValue(model), parseResult.GetValue(metric), parseResult.GetValue(shards),
                parseResult.GetValue(dimension), ParseFields(parseResult.GetValue(fields), out _))
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
        yield return ("Replicas", info.Replicas.ToString(culture));
        yield return ("Localise", info.Localise ?? "");
        yield return ("Products", info.Products.ToString(culture));
        yield return ("Images", info.Images.ToString(culture));
        if (info.Fields is { Count: > 0 } fields)
        {
            yield return ("Fields", string.Join(", ", fields.Select(field => $"{field.Key}:{field.Value}")));
        }
    }

    /// <summary>
    /// <c>price:number,brand:string</c> as a name → type map; null when <paramref name="text"/> is null or unusable,
    /// with <paramref name="error"/> saying why in the second case.
    /// </summary>
    internal static Dictionary<string, string>? ParseFields(string? text, out string? error)
    {
        error = null;
        if (text is null)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split(':', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || pair[0].Length == 0 || pair[1].ToLowerInvariant() is not ("string" or "number"))
            {
                error = $"--fields '{part}' is not NAME:TYPE with TYPE string or number, e.g. --fields price:number,brand:string.";
                return null;
            }

            if (!fields.TryAdd(pair[0], pair[1].ToLowerInvariant()))
            {
                error = $"--fields names '{pair[0]}' twice.";
                return null;
            }
        }

        if (fields.Count == 0)
        {
            error = "--fields is empty; give NAME:TYPE pairs, e.g. --fields price:number,brand:string.";
            return null;
        }

        return fields;
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
