namespace OutfitFinder.Cli.Pairs;

/// <summary>
/// Splits photos by sender into training, test and category-query sets. Each photo is its own
/// product, so a split by sender is also a split by product: no product and no sender is in two
/// sets. Deterministic for a seed and independent of the order of the input.
/// </summary>
internal static class PairSplit
{
    /// <summary>Which set a photo belongs to.</summary>
    internal enum Part
    {
        /// <summary>Pairs to train on.</summary>
        Train,
        /// <summary>Gallery (the shop photo) and instance queries (its consumer views).</summary>
        Test,
        /// <summary>Untouched photos searched by category against the test gallery.</summary>
        CategoryQuery,
        /// <summary>Held out of training to choose settings and stop training early; never the test set.</summary>
        Validation,
    }

    /// <summary>
    /// Shuffles the senders with <paramref name="seed"/> and hands them out whole: first to the
    /// test set until it holds <paramref name="testFraction"/> of the photos, then to the category
    /// queries until they hold <paramref name="categoryFraction"/>, then to validation until it holds
    /// <paramref name="validationFraction"/>, the rest to training. With no validation the split is
    /// the same as before validation existed.
    /// </summary>
    public static Dictionary<string, Part> BySender(
        IReadOnlyList<LabelledPhoto> photos, int seed, double testFraction, double categoryFraction, double validationFraction = 0)
    {
        var photosBySender = photos.GroupBy(photo => photo.SenderId, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);

        // Sorted first, so the shuffle depends only on the seed and the set of senders.
        var senders = photosBySender.Keys.Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(senders);

        var parts = new Dictionary<string, Part>(StringComparer.Ordinal);
        var (testTarget, categoryTarget) = (testFraction * photos.Count, categoryFraction * photos.Count);
        var validationTarget = validationFraction * photos.Count;
        var (test, category, validation) = (0, 0, 0);
        foreach (var sender in senders)
        {
            if (test < testTarget)
            {
                parts[sender] = Part.Test;
                test += photosBySender[sender];
            }
            else if (category < categoryTarget)
            {
                parts[sender] = Part.CategoryQuery;
                category += photosBySender[sender];
            }
            else if (validation < validationTarget)
            {
                parts[sender] = Part.Validation;
                validation += photosBySender[sender];
            }
            else
            {
                parts[sender] = Part.Train;
            }
        }

        return parts;
    }

    /// <summary>A stable 32-bit seed for one consumer view, from the run's seed, the product and the view number (FNV-1a).</summary>
    public static int ViewSeed(int seed, string productId, int view)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes($"{seed}/{productId}/{view}"))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)hash;
    }
}
