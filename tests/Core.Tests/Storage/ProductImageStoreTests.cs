using System.Text;
using OutfitFinder.Core.Storage;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Storage;

public sealed class ProductImageStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderBlobStore _blobs;
    private readonly ProductImageStore _images;

    public ProductImageStoreTests()
    {
        _blobs = new LocalFolderBlobStore(_folder.Path);
        _images = new ProductImageStore(_blobs);
    }

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> AwkwardIds => new()
    {
        "sku-1",
        "with spaces and a trailing space ",
        "a/b/../c",
        "..",
        ".",
        "back\\slash",
        "%2F encoded?",
        "靴/👟 é",
        "CON",
        new string('é', ProductIdPathSegment.MaxProductIdUtf8Bytes / 2),
    };

    [Theory]
    [MemberData(nameof(AwkwardIds))]
    public async Task SaveAsync_StoresImagesReadAsyncReturns_ForAwkwardIds(string productId)
    {
        var images = Images(3, seed: productId.Length);

        await _images.SaveAsync("shoes", productId, images, CancellationToken.None);

        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(images[i], await _images.ReadAsync("shoes", productId, i, CancellationToken.None));
        }

        Assert.Null(await _images.ReadAsync("shoes", productId, 3, CancellationToken.None));
        var stored = await ListAsync("catalogs/shoes/images/");
        Assert.Equal(3, stored.Count);
        Assert.All(stored, path => Assert.StartsWith($"catalogs/shoes/images/{ProductIdPathSegment.Encode(productId)}/", path));
    }

    [Fact]
    public async Task SaveAsync_KeepsProductsApart_WhenIdsDifferOnlyInCaseOrByPrefix()
    {
        string[] ids = ["ab", "AB", "Ab", "a", "ab/", "ab/0"];
        for (var i = 0; i < ids.Length; i++)
        {
            await _images.SaveAsync("shoes", ids[i], [Encoding.UTF8.GetBytes(ids[i])], CancellationToken.None);
        }

        await _images.DeleteAsync("shoes", "ab", CancellationToken.None);

        Assert.Null(await _images.ReadAsync("shoes", "ab", 0, CancellationToken.None));
        foreach (var id in ids[1..])
        {
            Assert.Equal(Encoding.UTF8.GetBytes(id), await _images.ReadAsync("shoes", id, 0, CancellationToken.None));
        }
    }

    [Fact]
    public async Task SaveAsync_LeavesNoStaleImageReadable_WhenResavedWithFewerImages()
    {
        await _images.SaveAsync("shoes", "p", Images(12, seed: 1), CancellationToken.None);
        var fewer = Images(2, seed: 2);

        await _images.SaveAsync("shoes", "p", fewer, CancellationToken.None);

        Assert.Equal(fewer[0], await _images.ReadAsync("shoes", "p", 0, CancellationToken.None));
        Assert.Equal(fewer[1], await _images.ReadAsync("shoes", "p", 1, CancellationToken.None));
        for (var i = 2; i < 12; i++)
        {
            Assert.Null(await _images.ReadAsync("shoes", "p", i, CancellationToken.None));
        }

        Assert.Equal(2, (await ListAsync("catalogs/")).Count);
    }

    [Fact]
    public async Task SaveAsync_RemovesEveryImage_WhenResavedWithNone()
    {
        await _images.SaveAsync("shoes", "p", Images(3, seed: 1), CancellationToken.None);

        await _images.SaveAsync("shoes", "p", [], CancellationToken.None);

        Assert.Null(await _images.ReadAsync("shoes", "p", 0, CancellationToken.None));
        Assert.Empty(await ListAsync("catalogs/"));
    }

    [Fact]
    public async Task DeleteAsync_RemovesEveryImageAndCountsThem_WhenProductHasImages()
    {
        await _images.SaveAsync("shoes", "p 1", Images(4, seed: 1), CancellationToken.None);
        await _images.SaveAsync("shoes", "p 2", Images(1, seed: 2), CancellationToken.None);
        await _images.SaveAsync("bags", "p 1", Images(1, seed: 3), CancellationToken.None);

        var removed = await _images.DeleteAsync("shoes", "p 1", CancellationToken.None);

        Assert.Equal(4, removed);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await _images.ReadAsync("shoes", "p 1", i, CancellationToken.None));
        }

        Assert.NotNull(await _images.ReadAsync("shoes", "p 2", 0, CancellationToken.None));
        Assert.NotNull(await _images.ReadAsync("bags", "p 1", 0, CancellationToken.None));
        Assert.Equal(0, await _images.DeleteAsync("shoes", "p 1", CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_ReturnsNull_WhenProductUnknown()
    {
        Assert.Null(await _images.ReadAsync("shoes", "nobody", 0, CancellationToken.None));
    }

    [Theory]
    [InlineData(0)] // empty
    [InlineData(1)] // lone surrogate: no UTF-8 form (built here, since test data serialisation would replace it)
    public async Task SaveAsync_ThrowsArgumentException_WhenIdHasNoSegment(int kind)
    {
        var productId = kind == 0 ? "" : "a" + (char)0xD800;

        await Assert.ThrowsAsync<ArgumentException>(() =>
            _images.SaveAsync("shoes", productId, Images(1, seed: 1), CancellationToken.None));

        Assert.Empty(await ListAsync(""));
    }

    [Fact]
    public async Task SaveAsync_ThrowsArgumentException_WhenIdExceedsLimit()
    {
        var productId = new string('x', ProductIdPathSegment.MaxProductIdUtf8Bytes + 1);

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            _images.SaveAsync("shoes", productId, Images(1, seed: 1), CancellationToken.None));

        Assert.Contains($"limit is {ProductIdPathSegment.MaxProductIdUtf8Bytes}", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a\\b")]
    public async Task ReadAsync_ThrowsArgumentException_WhenCatalogIsNotOneSegment(string catalog)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _images.ReadAsync(catalog, "p", 0, CancellationToken.None));
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var paths = new List<string>();
        await foreach (var path in _blobs.ListAsync(prefix, CancellationToken.None))
        {
            paths.Add(path);
        }

        return paths;
    }

    private static List<byte[]> Images(int count, int seed)
    {
        var random = new Random(seed);
        var images = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var image = new byte[random.Next(1, 5_000)];
            random.NextBytes(image);
            images.Add(image);
        }

        return images;
    }
}
