using System.Text;
using OutfitFinder.Lab.Photos;
using SkiaSharp;

namespace OutfitFinder.Cli.Pairs;

/// <summary>
/// Writes a consumer-to-shop evaluation set from labelled real photos. Each photo is a product and
/// is its own shop image; consumer views are made from it by <see cref="ConsumerPhotos"/>.
/// </summary>
/// <remarks>
/// Layout under the output folder (every path in the CSV files is relative to that folder):
/// <code>
/// shop/{id}.jpg              the original photos of training and test products (copied)
/// consumer/{id}-{n}.jpg      synthetic consumer views, n = 0 … views-1
/// category/{id}.jpg          untouched photos of the category-query senders (copied)
/// train_pairs.csv            product_id,category,shop_image,consumer_image   (training products)
/// test_pairs.csv             product_id,category,shop_image,consumer_image   (test products)
/// test_shop.csv              product_id,image,category        gallery manifest for outfit ingest
/// test_queries.csv           image,product_id,category        instance queries for outfit eval
/// test_category_queries.csv  image,product_id,category        product_id empty: a hit is any result of the category
/// </code>
/// </remarks>
internal sealed class PairsGenerator(PairsSettings settings)
{
    /// <summary>Header of the pair files; the trainer reads exactly these columns.</summary>
    internal const string PairsHeader = "product_id,category,shop_image,consumer_image";

    /// <summary>Header of the gallery manifest, as <c>outfit ingest</c> reads it.</summary>
    internal const string ShopHeader = "product_id,image,category";

    /// <summary>Header of the query files, as <c>outfit eval</c> reads them.</summary>
    internal const string QueriesHeader = "image,product_id,category";

    /// <summary>Generates everything; returns how many products went to each part.</summary>
    public PairsSummary Run(IReadOnlyList<LabelledPhoto> photos, CancellationToken cancellationToken)
    {
        var parts = PairSplit.BySender(photos, settings.Seed, settings.TestFraction, settings.CategoryFraction);
        var ordered = photos.OrderBy(photo => photo.ImageId, StringComparer.Ordinal).ToList();
        var train = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.Train).ToList();
        var test = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.Test).ToList();
        var category = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.CategoryQuery).ToList();

        foreach (var folder in (string[])["shop", "consumer", "category"])
        {
            Directory.CreateDirectory(Path.Combine(settings.OutputFolder, folder));
        }

        // Each product's files depend only on the product and the seed, so the order of work does not matter.
        Parallel.ForEach(
            [.. train, .. test],
            new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = cancellationToken },
            WriteProduct);
        foreach (var photo in category)
        {
            cancellationToken.ThrowIfCancellationRequested();
            File.Copy(photo.Path, Path.Combine(settings.OutputFolder, CategoryImage(photo)), overwrite: true);
        }

        WriteCsv("train_pairs.csv", PairsHeader, train.SelectMany(PairRows));
        WriteCsv("test_pairs.csv", PairsHeader, test.SelectMany(PairRows));
        WriteCsv("test_shop.csv", ShopHeader, test.Select(p => Row(p.ImageId, ShopImage(p), p.Category)));
        WriteCsv("test_queries.csv", QueriesHeader,
            test.SelectMany(p => Enumerable.Range(0, settings.Views).Select(v => Row(ConsumerImage(p, v), p.ImageId, p.Category))));
        WriteCsv("test_category_queries.csv", QueriesHeader, category.Select(p => Row(CategoryImage(p), "", p.Category)));

        return new PairsSummary(
            train.Count, test.Count, category.Count,
            train.Select(p => p.SenderId).Distinct().Count(), test.Select(p => p.SenderId).Distinct().Count(),
            category.Select(p => p.SenderId).Distinct().Count(), (train.Count + test.Count) * settings.Views);
    }

    private void WriteProduct(LabelledPhoto photo)
    {
        File.Copy(photo.Path, Path.Combine(settings.OutputFolder, ShopImage(photo)), overwrite: true);
        using var decoded = SKBitmap.Decode(photo.Path)
            ?? throw new PairsInputException($"'{photo.Path}' is not an image Skia can decode.");
        for (var view = 0; view < settings.Views; view++)
        {
            var jpeg = ConsumerPhotos.MakeJpeg(decoded, PairSplit.ViewSeed(settings.Seed, photo.ImageId, view), settings.ViewOptions);
            File.WriteAllBytes(Path.Combine(settings.OutputFolder, ConsumerImage(photo, view)), jpeg);
        }
    }

    private IEnumerable<string> PairRows(LabelledPhoto photo) =>
        Enumerable.Range(0, settings.Views).Select(view => Row(photo.ImageId, photo.Category, ShopImage(photo), ConsumerImage(photo, view)));

    private static string ShopImage(LabelledPhoto photo) => $"shop/{photo.ImageId}.jpg";

    private static string ConsumerImage(LabelledPhoto photo, int view) => $"consumer/{photo.ImageId}-{view}.jpg";

    private static string CategoryImage(LabelledPhoto photo) => $"category/{photo.ImageId}.jpg";

    private void WriteCsv(string name, string header, IEnumerable<string> rows)
    {
        var text = new StringBuilder(header).Append('\n');
        foreach (var row in rows)
        {
            text.Append(row).Append('\n');
        }

        File.WriteAllText(Path.Combine(settings.OutputFolder, name), text.ToString());
    }

    private static string Row(params string[] cells) => string.Join(',', cells.Select(Escape));

    /// <summary>RFC 4180 quoting, only where a cell needs it.</summary>
    private static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") < 0 ? cell : $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}

/// <summary>What <c>outfit pairs</c> was asked to do.</summary>
internal sealed record PairsSettings(
    string OutputFolder,
    int Seed,
    double TestFraction,
    double CategoryFraction,
    int Views,
    int Parallelism,
    ConsumerPhotoOptions ViewOptions);

/// <summary>How many products (and senders) each part got, and how many consumer views were drawn.</summary>
internal sealed record PairsSummary(
    int TrainProducts, int TestProducts, int CategoryQueries, int TrainSenders, int TestSenders, int CategorySenders, int ConsumerViews);
