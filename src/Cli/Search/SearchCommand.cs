using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace OutfitFinder.Cli.Search;

/// <summary><c>outfit search --catalog C [--k 20] [--category X] [--box X,Y,W,H] [--localise none|fast|thorough] [--json] PHOTO</c>.</summary>
internal static class SearchCommand
{
    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Option<string>("--catalog") { Description = "Catalog to search.", Required = true, HelpName = "NAME" };
        var k = new Option<int>("--k") { Description = "Number of results.", HelpName = "K", DefaultValueFactory = _ => 20 };
        k.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--k must be at least 1.");
            }
        });
        var category = new Option<string?>("--category") { Description = "Only products of this category.", HelpName = "CATEGORY" };
        var box = new Option<string?>("--box")
        {
            Description = "Search only this region of the photo: left,top,width,height in pixels of the photo as shown (after EXIF rotation).",
            HelpName = "X,Y,W,H",
        };
        box.Validators.Add(result =>
        {
            // Checked here for shape so a typo costs no upload; whether it fits the photo is the gateway's answer.
            if (result.GetValueOrDefault<string?>() is { } text && !Core.Images.ImageBox.TryParse(text, out _, out var error))
            {
                result.AddError($"--{error}");
            }
        });
        var localise = new Option<string?>("--localise")
        {
            Description = "How the gateway finds the garment in the photo: none (the whole photo, fastest), fast (5 crops) or thorough "
                + "(14 crops, best on street photos, slowest). Default: the catalog's.",
            HelpName = "none|fast|thorough",
        };
        localise.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !Core.Localisation.QueryRegions.TryParse(text, out _, out var error))
            {
                result.AddError($"--{error}");
            }
        });
        var json = new Option<bool>("--json") { Description = "Print the gateway's JSON response instead of a table." };
        var photo = new Argument<FileInfo>("PHOTO") { Description = "The photo to search with." }.AcceptExistingOnly();

        var command = new Command("search", "Find the products that look most like a photo.")
        {
            catalog, k, category, box, localise, json, photo,
        };
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var (response, body) = await client.SearchAsync(
                parseResult.GetRequiredValue(catalog),
                parseResult.GetRequiredValue(photo).FullName,
                parseResult.GetValue(k),
                parseResult.GetValue(category),
                cancellationToken,
                parseResult.GetValue(box),
                Localise(parseResult.GetValue(localise)));

            if (parseResult.GetValue(json))
            {
                // Written around Spectre.Console so that nothing wraps or reflows the document.
                services.Out.Profile.Out.Writer.WriteLine(body);
                return ExitCodes.Success;
            }

            SearchResultsView.Write(services.Out, response);
            if (response.Partial)
            {
                services.Error.WriteWarning("Partial results: some shards did not answer, so better matches may be missing.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The name the gateway reads (<c>fast</c> for <c>Fast</c>), or null to leave it to the catalog.</summary>
    internal static string? Localise(string? text) =>
        text is not null && Core.Localisation.QueryRegions.TryParse(text, out var mode, out _) ? Core.Localisation.QueryRegions.Name(mode) : null;
}
