using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace OutfitFinder.Cli.Pairs;

/// <summary>One usable row of a photo folder's <c>images.csv</c>.</summary>
/// <param name="ImageId">The photo's id: its file is <c>images/{ImageId}.jpg</c>.</param>
/// <param name="SenderId">Who took the photo; every photo of a sender goes to the same split.</param>
/// <param name="Category">The photo's label.</param>
/// <param name="Path">Full path of the photo file.</param>
internal sealed record LabelledPhoto(string ImageId, string SenderId, string Category, string Path)
{
    /// <summary>Labels that say the photo has no usable category.</summary>
    internal static readonly IReadOnlySet<string> UnusableLabels = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Not sure", "Skip" };

    /// <summary>
    /// Reads <c>images.csv</c> (columns <c>image,sender_id,label</c>, others ignored) of a folder
    /// laid out as <c>images.csv</c> + <c>images/*.jpg</c>. Rows with an unusable label and rows whose
    /// file is missing are left out and counted.
    /// </summary>
    /// <exception cref="PairsInputException">The folder, the CSV or one of its columns is missing.</exception>
    public static (List<LabelledPhoto> Photos, int Unlabelled, int Missing) ReadFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new PairsInputException($"The photos folder '{folder}' does not exist.");
        }

        var csvPath = System.IO.Path.Combine(folder, "images.csv");
        if (!File.Exists(csvPath))
        {
            throw new PairsInputException($"The photos folder '{folder}' has no images.csv (columns image,sender_id,label).");
        }

        using var reader = new StreamReader(csvPath);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null, BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { } header)
        {
            throw new PairsInputException($"'{csvPath}' is empty.");
        }

        foreach (var column in (string[])["image", "sender_id", "label"])
        {
            if (!header.Contains(column, StringComparer.Ordinal))
            {
                throw new PairsInputException($"'{csvPath}' has no '{column}' column; the header must include image,sender_id,label.");
            }
        }

        var photos = new List<LabelledPhoto>();
        var (unlabelled, missing) = (0, 0);
        while (csv.Read())
        {
            var image = csv.GetField("image")?.Trim() ?? "";
            var sender = csv.GetField("sender_id")?.Trim() ?? "";
            var label = csv.GetField("label")?.Trim() ?? "";
            if (image.Length == 0 || label.Length == 0 || UnusableLabels.Contains(label))
            {
                unlabelled++;
                continue;
            }

            var path = System.IO.Path.Combine(folder, "images", image + ".jpg");
            if (!File.Exists(path))
            {
                missing++;
                continue;
            }

            photos.Add(new LabelledPhoto(image, sender, label, path));
        }

        return (photos, unlabelled, missing);
    }
}

/// <summary>Bad input to <c>outfit pairs</c>: the message says what to fix.</summary>
internal sealed class PairsInputException(string message) : Exception(message);
