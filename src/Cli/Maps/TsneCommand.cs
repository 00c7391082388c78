using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using OutfitFinder.Cli.Charts;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Maps;

/// <summary><c>outfit tsne --catalog C --out FILE.png [--max N] [--seed S] [--perplexity P] [--iterations N]</c>.</summary>
internal static class TsneCommand
{
    /// <summary>Exact t-SNE is quadratic; above this many points a map takes minutes and gigabytes.</summary>
    internal const int LargestMax = 5000;

    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var catalog = new Option<string>("--catalog") { Description = "Catalog to map.", Required = true, HelpName = "NAME" };
        var output = new Option<FileInfo>("--out") { Description = "PNG file to write.", Required = true, HelpName = "FILE.png" };
        var max = new Option<int>("--max") { Description = $"Products to sample from the catalog (at most {LargestMax}).", HelpName = "N", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Chooses t-SNE's random start; equal seeds give equal maps.", HelpName = "S", DefaultValueFactory = _ => 1 };
        var perplexity = new Option<double>("--perplexity") { Description = "Effective number of neighbours each point keeps near (5–50 is usual).", HelpName = "P", DefaultValueFactory = _ => 30 };
        var iterations = new Option<int>("--iterations") { Description = "Gradient steps.", HelpName = "N", DefaultValueFactory = _ => 1000 };
        max.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 2 or > LargestMax)
            {
                result.AddError($"--max must be between 2 and {LargestMax}.");
            }
        });
        perplexity.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (> 0 and <= 100))
            {
                result.AddError("--perplexity must be above 0 and at most 100.");
            }
        });
        iterations.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 10_000)
            {
                result.AddError("--iterations must be between 1 and 10000.");
            }
        });

        var command = new Command(
            "tsne",
            "Draw a map of a catalog's embedding space: a sample of products placed in 2-D by exact t-SNE, coloured by category. "
            + "Cosine and dot catalogs are mapped by the angle between vectors, l1 catalogs by Manhattan distance, l2 by Euclidean.")
        {
            catalog, output, max, seed, perplexity, iterations,
        };
        command.SetGatewayAction(services, gateway, (parseResult, client, cancellationToken) => RunAsync(
            services,
            client,
            parseResult.GetRequiredValue(catalog),
            parseResult.GetRequiredValue(output).FullName,
            parseResult.GetValue(max),
            new Tsne.Options(parseResult.GetValue(perplexity), parseResult.GetValue(iterations), parseResult.GetValue(seed)),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliServices services, GatewayClient client, string catalog, string outputPath, int max, Tsne.Options options, CancellationToken cancellationToken)
    {
        var culture = CultureInfo.InvariantCulture;
        var sample = await client.GetVectorsAsync(catalog, max, cancellationToken);
        var n = sample.Products.Count;
        if (n < 3)
        {
            services.Error.WriteError(string.Create(culture, $"Catalog {catalog} has {n} products; a map needs at least 3."));
            return ExitCodes.Failure;
        }

        // Perplexity must stay below the number of neighbours a point has.
        var effective = options with { Perplexity = Math.Min(options.Perplexity, (n - 1) / 3.0) };
        if (effective.Perplexity < options.Perplexity)
        {
            services.Error.WriteWarning(string.Create(culture, $"Only {n} products: perplexity lowered to {effective.Perplexity:0.#}."));
        }

        var vectors = sample.Products.Select(p => p.Vector).ToList();
        var angular = sample.Metric is "cosine" or "dot";
        if (angular)
        {
            vectors = [.. vectors.Select(Normalised)];
        }

        var started = Stopwatch.GetTimestamp();
        var distances = Tsne.SquaredDistances(vectors, manhattan: sample.Metric == "l1");
        var map = await Task.Run(() => Tsne.Embed(distances, effective), cancellationToken);
        var folder = Path.GetDirectoryName(outputPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        try
        {
            EmbeddingMap.Save(
                outputPath,
                string.Create(culture, $"{catalog} ({sample.Model}, {sample.Metric}): t-SNE of {n} products, perplexity {effective.Perplexity:0.#}, seed {effective.Seed}"),
                map,
                [.. sample.Products.Select(p => p.Category)]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            services.Error.WriteError($"Cannot write '{outputPath}': {ex.Message}");
            return ExitCodes.Failure;
        }

        services.Out.WriteLine(string.Create(culture,
            $"Mapped {n} products of {catalog} in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s; wrote {outputPath}."));
        return ExitCodes.Success;
    }

    private static float[] Normalised(float[] vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        return norm > 0 ? [.. vector.Select(v => v / norm)] : vector;
    }
}
