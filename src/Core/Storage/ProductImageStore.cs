using System.Globalization;

namespace OutfitFinder.Core.Storage;

/// <summary>
/// A product's shop images, kept so that a catalog can be re-embedded with another model
/// without asking the retailer again. Layout: <c>catalogs/{catalog}/images/{segment}/{n}</c>, where
/// segment is <see cref="ProductIdPathSegment.Encode"/> of the product id and n = 0, 1, … is the
/// image's position.
/// </summary>
/// <remarks>
/// Calls for one product must not overlap (the owning shard serialises them); calls for
/// different products may.
/// </remarks>
public sealed class ProductImageStore(IBlobStore store)
{
    private readonly IBlobStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>
    /// Stores <paramref name="images"/> as the product's images, replacing all it had: positions
    /// at or past <c>images.Count</c> left from an earlier, longer save are removed.
    /// </summary>
    public async Task SaveAsync(string catalog, string productId, IReadOnlyList<byte[]> images,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var folder = ProductFolder(catalog, productId);
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i] is null)
            {
                throw new ArgumentException($"Image {i} of product '{productId}' is null.", nameof(images));
            }
        }

        // New images first, then the surplus: a crash in between leaves extra images, which are
        // harmless (the shard's image count bounds what is read) and removed by the next save or
        // delete; the reverse order could leave the product with none.
        var existing = await ListPositionsAsync(folder, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < images.Count; i++)
        {
            await _store.WriteAsync(folder + i.ToString(CultureInfo.InvariantCulture), images[i], cancellationToken)
                .ConfigureAwait(false);
        }

        foreach (var (path, position) in existing)
        {
            if (position is not { } n || n >= images.Count)
            {
                await _store.DeleteAsync(path, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Bytes of image <paramref name="index"/> of the product, or null when it has no such image.</summary>
    public Task<byte[]?> ReadAsync(string catalog, string productId, int index, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return _store.ReadAsync(ProductFolder(catalog, productId) + index.ToString(CultureInfo.InvariantCulture),
            cancellationToken);
    }

    /// <summary>Removes every image of the product; returns how many there were.</summary>
    public async Task<int> DeleteAsync(string catalog, string productId, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var (path, _) in await ListPositionsAsync(ProductFolder(catalog, productId), cancellationToken)
            .ConfigureAwait(false))
        {
            if (await _store.DeleteAsync(path, cancellationToken).ConfigureAwait(false))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Folder prefix of a product's images, ending with '/'.</summary>
    private static string ProductFolder(string catalog, string productId)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.Length == 0 || catalog.Contains('/') || catalog is "." or "..")
        {
            throw new ArgumentException($"Catalog name '{catalog}' is not a single path segment.", nameof(catalog));
        }

        var folder = $"catalogs/{catalog}/images/{ProductIdPathSegment.Encode(productId)}/";
        BlobPath.ValidatePrefix(folder, nameof(catalog));
        return folder;
    }

    /// <summary>Every blob in the folder, with its position when the name is one (null for anything else).</summary>
    private async Task<List<(string Path, int? Position)>> ListPositionsAsync(string folder,
        CancellationToken cancellationToken)
    {
        var entries = new List<(string, int?)>();
        await foreach (var path in _store.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            var name = path[folder.Length..];
            var isPosition = int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                && n.ToString(CultureInfo.InvariantCulture) == name;
            entries.Add((path, isPosition ? n : null));
        }

        return entries;
    }
}
