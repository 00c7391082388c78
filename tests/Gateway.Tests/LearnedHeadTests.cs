using System.Net;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;
using OutfitFinder.Core.Images;
using OutfitFinder.Lab.Training;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// A catalog of model <c>resnet18+HEAD</c> embeds with ResNet18 followed by the learned head from
/// <c>Extraction:HeadsFolder</c>: its shards hold the head's shorter vectors, and a consumer photo
/// finds its product's shop photo through them.
/// </summary>
public sealed class LearnedHeadTests : IDisposable
{
    private const int HeadDimension = 32;

    private readonly string _heads = Directory.CreateTempSubdirectory("outfit-heads-").FullName;

    public void Dispose() => Directory.Delete(_heads, recursive: true);

    [Fact]
    public async Task Catalog_OfABasePlusHeadModel_StoresHeadVectors_AndFindsEachProductFromItsConsumerPhoto()
    {
        var products = GarmentCatalog.Generate(8, seed: 31);
        var shopImages = products.Select(p =>
        {
            using var bitmap = GarmentImages.Draw(p.Spec);
            return GarmentImages.Encode(bitmap);
        }).ToArray();
        var consumerImages = products.Select((p, i) =>
        {
            using var shop = GarmentImages.Draw(p.Spec);
            using var street = GarmentImages.ConsumerView(shop, seed: 500 + i);
            return GarmentImages.Encode(street);
        }).ToArray();
        var head = TrainHead(shopImages, consumerImages);
        HeadFile.Save(head, Path.Combine(_heads, "garments.head"));
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?>
        {
            ["Extraction:HeadsFolder"] = _heads,
            ["Extraction:Onnx:ExecutionProvider"] = "Cpu",
        });
        using var http = factory.CreateClient();

        Assert.Equal(HttpStatusCode.Created, (await http.CreateCatalogAsync("learned", new { model = "resnet18+garments", shards = 2, localise = "none" })).StatusCode);
        for (var i = 0; i < products.Count; i++)
        {
            var put = await http.PutProductAsync("learned", products[i].ProductId, [shopImages[i]], products[i].Spec.Category);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var catalog = await http.GetFromJsonAsync<CatalogBody>("/v1/catalogs/learned", Api.Json);
        Assert.Equal(("resnet18+garments", HeadDimension, 8L), (catalog!.Model, catalog.Dimension, catalog.Products));
        var expected = ProjectedScores(head, shopImages, consumerImages);
        for (var i = 0; i < products.Count; i++)
        {
            var search = await (await http.SearchByImageAsync("learned", consumerImages[i], "k=3")).ReadSearchAsync();
            Assert.Equal(products[i].ProductId, search.Results[0].ProductId);
            // The served score is the cosine of the two projected vectors computed here: the head was applied on both sides.
            Assert.Equal(expected[i], search.Results[0].Score, 3);
        }

        var vectorOfWrongLength = await http.SearchByVectorAsync("learned", new float[512], k: 3);
        Assert.Contains($"uses {HeadDimension}", await vectorOfWrongLength.AssertProblemAsync(400));
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Theory]
    [InlineData("resnet18+absent")]
    [InlineData("whitebox+garments")]
    [InlineData("resnet18+..%2Fgarments")]
    public async Task CreateCatalog_Returns400NamingTheServedHeads_ForAnUnknownOrMismatchedHead(string model)
    {
        HeadFile.Save(new ProjectionHead("resnet18", 512, 4, new float[2048], [1, 0, 0, 0]), Path.Combine(_heads, "garments.head"));
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { ["Extraction:HeadsFolder"] = _heads });
        using var http = factory.CreateClient();

        var detail = await (await http.CreateCatalogAsync("unknown-head", new { model = Uri.UnescapeDataString(model) })).AssertProblemAsync(400);

        Assert.Contains("is not served by this cluster", detail);
        Assert.Contains("resnet18+garments", detail);
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    [Fact]
    public async Task Gateway_FailsToStartWithTheSettingNamed_WhenHeadsFolderIsAFile()
    {
        var file = Path.Combine(_heads, "not-a-folder");
        File.WriteAllText(file, "");
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { ["Extraction:HeadsFolder"] = file });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Extraction:HeadsFolder", error.ToString());
        Directory.Delete(factory.StorageRoot, recursive: true);
    }

    /// <summary>A head trained on these very pairs with ResNet18 vectors computed in the test, as <c>outfit train</c> would.</summary>
    private static ProjectionHead TrainHead(byte[][] shopImages, byte[][] consumerImages)
    {
        var shops = Embed(shopImages);
        var consumers = Embed(consumerImages);
        var pairs = new PairSet(512, consumers, shops, [.. Enumerable.Range(0, shopImages.Length)],
            [.. Enumerable.Range(0, shopImages.Length).Select(i => (i, i))]);
        return SiameseTrainer.Train("resnet18", pairs, null,
            new SiameseTrainingOptions { OutputDimension = HeadDimension, Epochs = 40, NegativesPerPositive = 4, LearningRate = 0.005f }).Head;
    }

    private static float[] ProjectedScores(ProjectionHead head, byte[][] shopImages, byte[][] consumerImages)
    {
        var shops = head.ProjectRows(Embed(shopImages));
        var consumers = head.ProjectRows(Embed(consumerImages));
        return [.. Enumerable.Range(0, shopImages.Length).Select(i =>
            TensorPrimitives.Dot(consumers.AsSpan(i * HeadDimension, HeadDimension), shops.AsSpan(i * HeadDimension, HeadDimension)))];
    }

    private static float[] Embed(byte[][] images)
    {
        using var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, NullLogger<ResNet18Embedder>.Instance);
        var bitmaps = images.Select(bytes => ImageDecoder.Decode(bytes, ImageLimits.Default)).ToList();
        try
        {
            return embedder.Embed(bitmaps);
        }
        finally
        {
            bitmaps.ForEach(b => b.Dispose());
        }
    }
}
