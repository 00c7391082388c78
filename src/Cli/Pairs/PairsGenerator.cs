using System.Text;
using OutfitFinder.Lab.Photos;
using SkiaSharp;

namespace OutfitFinder.Cli.Pairs;

/// <summary>
/// Writes a consumer-to-shop evaluation set from labelled real photos. Each photo is a product and
/// is its own shop image; consumer views are made from it by <see cref="ConsumerPhotos"/>, or, for
/// <see cref="PairsKind.Street"/>, by <see cref="StreetPhotos"/> on a photo of another sender.
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
/// val_pairs.csv, val_shop.csv, val_queries.csv                 the same for validation products (only with a validation fraction)
/// </code>
/// <para>Street views: the scene of a test view is an untouched photo of the category-query senders
/// (in neither the gallery nor training; other test senders' photos when there are none), the scene
/// of a training or validation view a photo of another training or validation sender. So a test
/// query shows somebody else's garment that the model never trained on, next to the product.</para>
/// </remarks>
internal sealed class PairsGenerator(PairsSettings settings)
{
    /// <summary>Header of the pair files; the trainer reads exactly these columns.</summary>
    internal const string PairsHeader = "product_id,category,shop_image,consumer_image";

    /// <summary>Header of the gallery manifest, as <c>outfit ingest</c> reads it.</summary>
    internal const string ShopHeader = "product_id,image,category";

    /// <summary>Header of the query files, as <c>outfit eval</c> reads them.</summary>
    internal const string QueriesHeader = "image,product_id,category";

    // Scenes of street views, set by Run before any view is drawn.
    private List<LabelledPhoto> _testScenes = [];
    private List<LabelledPhoto> _trainScenes = [];
    private HashSet<string> _testProducts = [];

    /// <summary>Generates everything; returns how many products went to each part.</summary>
    public PairsSummary Run(IReadOnlyList<LabelledPhoto> photos, CancellationToken cancellationToken)
    {
        var parts = PairSplit.BySender(photos, settings.Seed, settings.TestFraction, settings.CategoryFraction, settings.ValidationFraction);
        var ordered = photos.OrderBy(photo => photo.ImageId, StringComparer.Ordinal).ToList();
        var train = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.Train).ToList();
        var test = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.Test).ToList();
        var category = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.CategoryQuery).ToList();
        var validation = ordered.Where(p => parts[p.SenderId] == PairSplit.Part.Validation).ToList();
        _testScenes = category.Count > 0 ? category : test;
        _testProducts = [.. test.Select(p => p.ImageId)];
        _trainScenes = [.. train, .. validation];

        foreach (var folder in (string[])["shop", "consumer", "category"])
        {
            Directory.CreateDirectory(Path.Combine(settings.OutputFolder, folder));
        }

        // Each product's files depend only on the product and the seed, so the order of work does not matter.
        Parallel.ForEach(
            [.. train, .. validation, .. test],
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
        if (validation.Count > 0)
        {
            WriteCsv("val_pairs.csv", PairsHeader, validation.SelectMany(PairRows));
            WriteCsv("val_shop.csv", ShopHeader, validation.Select(p => Row(p.ImageId, ShopImage(p), p.Category)));
            WriteCsv("val_queries.csv", QueriesHeader,
                validation.SelectMany(p => Enumerable.Range(0, settings.Views).Select(v => Row(ConsumerImage(p, v), p.ImageId, p.Category))));
        }

        return new PairsSummary(
            train.Count, test.Count, category.Count,
            train.Select(p => p.SenderId).Distinct().Count(), test.Select(p => p.SenderId).Distinct().Count(),
            category.Select(p => p.SenderId).Distinct().Count(), (train.Count + validation.Count + test.Count) * settings.Views,
            validation.Count, validation.Select(p => p.SenderId).Distinct().Count());
    }

    private void WriteProduct(LabelledPhoto photo)
    {
        File.Copy(photo.Path, Path.Combine(settings.OutputFolder, ShopImage(photo)), overwrite: true);
        using var decoded = SKBitmap.Decode(photo.Path)
            ?? throw new PairsInputException($"'{photo.Path}' is not an image Skia can decode.");
        for (var view = 0; view < settings.Views; view++)
        {
            var seed = PairSplit.ViewSeed(settings.Seed, photo.ImageId, view);
            byte[] jpeg;
            if (settings.Kind == PairsKind.Street)
            {
                var scene = Scene(photo, view);
                using var street = SKBitmap.Decode(scene.Path)
                    ?? throw new PairsInputException($"'{scene.Path}' is not an image Skia can decode.");
                jpeg = StreetPhotos.MakeJpeg(decoded, street, seed, settings.StreetOptions);
            }
            else
            {
                jpeg = ConsumerPhotos.MakeJpeg(decoded, seed, settings.ViewOptions);
            }

            File.WriteAllBytes(Path.Combine(settings.OutputFolder, ConsumerImage(photo, view)), jpeg);
        }
    }

    /// <summary>The photo a street view is set into: chosen by the seed, product and view, never of the product's own sender.</summary>
    private LabelledPhoto Scene(LabelledPhoto photo, int view)
    {
        var pool = _testProducts.Contains(photo.ImageId) ? _testScenes : _trainScenes;
        var start = (int)((uint)PairSplit.ViewSeed(settings.Seed, "scene/" + photo.ImageId, view) % (uint)pool.Count);
        for (var step = 0; step < pool.Count; step++)
        {
            var candidate = pool[(start + step) % pool.Count];
            if (!string.Equals(candidate.SenderId, photo.SenderId, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new PairsInputException("Street views need photos of at least two senders in each part.");
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
    ConsumerPhotoOptions ViewOptions)
{
    /// <summary>Which views to draw. Default: <see cref="PairsKind.Consumer"/>.</summary>
    public PairsKind Kind { get; init; } = PairsKind.Consumer;

    /// <summary>Share of photos (whole training senders) held out for validation. Default: 0.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Limits of street views. Default: <see cref="StreetPhotoOptions.Default"/>.</summary>
    public StreetPhotoOptions StreetOptions { get; init; } = StreetPhotoOptions.Default;
}

/// <summary>What a query view is made of.</summary>
internal enum PairsKind
{
    /// <summary>The shop photo, cropped and warped, filling 60–95 % of a drawn room (<see cref="ConsumerPhotos"/>).</summary>
    Consumer,

    /// <summary>The garment cut out, at 15–50 % of the frame, on another sender's real photo (<see cref="StreetPhotos"/>).</summary>
    Street,
}

/// <summary>How many products (and senders) each part got, and how many consumer views were drawn.</summary>
internal sealed record PairsSummary(
    int TrainProducts, int TestProducts, int CategoryQueries, int TrainSenders, int TestSenders, int CategorySenders, int ConsumerViews,
    int ValidationProducts = 0, int ValidationSenders = 0);
