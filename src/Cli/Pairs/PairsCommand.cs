using System.CommandLine;
using System.Globalization;
using OutfitFinder.Lab.Photos;
using Spectre.Console;

namespace OutfitFinder.Cli.Pairs;

/// <summary><c>outfit pairs --photos DIR --out DIR [--seed S] [--test-fraction F] [--category-fraction F] [--views N]</c>.</summary>
internal static class PairsCommand
{
    public static Command Create(CliServices services)
    {
        var photos = new Option<DirectoryInfo>("--photos")
        {
            Description = "Folder of labelled photos: images.csv (image,sender_id,label) and images/{image}.jpg. "
                + "Labels 'Not sure' and 'Skip' are left out.",
            Required = true,
            HelpName = "DIR",
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write into (created if missing).", Required = true, HelpName = "DIR" };
        var seed = new Option<int>("--seed") { Description = "Chooses the split and every consumer view; equal seeds give equal files.", HelpName = "S", DefaultValueFactory = _ => 1 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Share of photos (whole senders) held out as test products.", HelpName = "F", DefaultValueFactory = _ => 0.2 };
        var categoryFraction = new Option<double>("--category-fraction")
        {
            Description = "Share of photos (whole senders, neither train nor test) kept untouched as category-level queries.",
            HelpName = "F",
            DefaultValueFactory = _ => 0.1,
        };
        var views = new Option<int>("--views") { Description = "Consumer views drawn per product.", HelpName = "N", DefaultValueFactory = _ => 2 };
        var kind = new Option<PairsKind>("--kind")
        {
            Description = "consumer: the shop photo warped into a drawn room, filling 60-95 % of the frame (today's set); "
                + "street: the garment cut out, at 15-50 % of the frame, on another sender's real photo, partly hidden (the harder set).",
            HelpName = "KIND",
            DefaultValueFactory = _ => PairsKind.Consumer,
        };
        var validationFraction = new Option<double>("--validation-fraction")
        {
            Description = "Share of photos (whole senders, taken from training) written as val_pairs/val_shop/val_queries.csv to tune and stop training on.",
            HelpName = "F",
            DefaultValueFactory = _ => 0,
        };
        var size = new Option<int>("--size") { Description = "Longest side of a consumer view in pixels.", HelpName = "PX", DefaultValueFactory = _ => 320 };
        testFraction.Validators.Add(result => Fraction(result, "--test-fraction"));
        categoryFraction.Validators.Add(result => Fraction(result, "--category-fraction"));
        validationFraction.Validators.Add(result => Fraction(result, "--validation-fraction"));
        views.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 20)
            {
                result.AddError("--views must be between 1 and 20.");
            }
        });
        size.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 32 or > 2048)
            {
                result.AddError("--size must be between 32 and 2048.");
            }
        });

        var command = new Command(
            "pairs",
            "Make a consumer-to-shop evaluation set from labelled real photos: each photo is a product and its own shop image; "
            + "consumer views are synthetic (crop, tilt, perspective, uneven light, colour cast, room clutter, noise, blur, JPEG "
            + "recompression). Photos are split by sender, so training and test share no product and no sender. Writes "
            + "train_pairs.csv and test_pairs.csv (product_id,category,shop_image,consumer_image), test_shop.csv (manifest for "
            + "ingest), test_queries.csv (consumer views, for eval) and test_category_queries.csv (untouched photos of other "
            + "senders; a hit is any result of the query's label). Paths in the files are relative to --out.")
        {
            photos, output, seed, testFraction, categoryFraction, views, size, kind, validationFraction,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var test = parseResult.GetValue(testFraction);
            var category = parseResult.GetValue(categoryFraction);
            var validation = parseResult.GetValue(validationFraction);
            if (test + category + validation >= 1)
            {
                services.Error.WriteError("--test-fraction plus --category-fraction plus --validation-fraction must leave photos to train on (their sum must be under 1).");
                return Task.FromResult(ExitCodes.Failure);
            }

            var settings = new PairsSettings(
                parseResult.GetRequiredValue(output).FullName,
                parseResult.GetValue(seed),
                test,
                category,
                parseResult.GetValue(views),
                Environment.ProcessorCount,
                ConsumerPhotoOptions.Default with { OutputSize = parseResult.GetValue(size) })
            {
                Kind = parseResult.GetValue(kind),
                ValidationFraction = validation,
                StreetOptions = StreetPhotoOptions.Default with { OutputSize = parseResult.GetValue(size) },
            };
            return Task.FromResult(Run(services, parseResult.GetRequiredValue(photos).FullName, settings, cancellationToken));
        });
        return command;
    }

    private static int Run(CliServices services, string photosFolder, PairsSettings settings, CancellationToken cancellationToken)
    {
        var culture = CultureInfo.InvariantCulture;
        try
        {
            var (photos, unlabelled, missing) = LabelledPhoto.ReadFolder(photosFolder);
            if (photos.Count == 0)
            {
                services.Error.WriteError($"'{photosFolder}' has no labelled photos to use ({unlabelled} unlabelled rows, {missing} missing files).");
                return ExitCodes.Failure;
            }

            if (missing > 0)
            {
                services.Error.WriteWarning(string.Create(culture, $"{missing} rows of images.csv name a photo that is not in images/; left out."));
            }

            var summary = new PairsGenerator(settings).Run(photos, cancellationToken);
            services.Out.WriteLine(string.Create(culture,
                $"{photos.Count} labelled photos ({unlabelled} rows without a usable label left out), seed {settings.Seed}: "
                + $"{summary.TrainProducts} training products from {summary.TrainSenders} senders, "
                + $"{summary.TestProducts} test products from {summary.TestSenders} senders, "
                + $"{summary.CategoryQueries} category queries from {summary.CategorySenders} senders, "
                + $"{summary.ValidationProducts} validation products from {summary.ValidationSenders} senders; "
                + $"{summary.ConsumerViews} {settings.Kind.ToString().ToLowerInvariant()} views written to {settings.OutputFolder}."));
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is PairsInputException or IOException or UnauthorizedAccessException)
        {
            services.Error.WriteError(ex.Message);
            return ExitCodes.Failure;
        }
    }

    private static void Fraction(System.CommandLine.Parsing.OptionResult result, string name)
    {
        if (result.GetValueOrDefault<double>() is not (>= 0 and < 1))
        {
            result.AddError($"{name} must be at least 0 and under 1.");
        }
    }
}
