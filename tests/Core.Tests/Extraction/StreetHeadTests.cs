using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Extraction.Siamese;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>The built-in <c>resnet18-rmac-street</c> model: R-MAC ResNet18 and the head embedded in Core.</summary>
[Collection(ResNet18Collection.Name)]
public sealed class StreetHeadTests
{
    [Fact]
    public void Create_ServesTheEmbeddedHead_OnRmacVectors()
    {
        using var embedder = StreetHead.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance);

        Assert.Equal((StreetHead.ModelName, 512), (embedder.Model, embedder.Dimension));
        Assert.Equal((PooledResNet18Embedder.RmacModelName, 512, 512), (StreetHead.Head.BaseModel, StreetHead.Head.InputDimension, StreetHead.Head.OutputDimension));
    }

    [Fact]
    public void Embed_GivesTheSameUnitVectorTwice_AndAnotherSpaceThanPlainRmac()
    {
        using var street = StreetHead.Create(new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance);
        using var rmac = PooledResNet18Embedder.Create(PooledResNet18Embedder.RmacModelName, new OnnxEmbedderOptions(), NullLogger<ResNet18Embedder>.Instance);
        using var dress = TestPictures.StripedDress(256);
        using var trousers = TestPictures.PlainTrousers(300);

        var first = street.Embed([dress, trousers]);
        var again = street.Embed([dress, trousers]);
        var plain = rmac.Embed([dress, trousers]);

        Assert.Equal(first, again);
        Assert.InRange(TensorPrimitives.Norm(first.AsSpan(0, 512)), 0.999f, 1.001f);
        Assert.Equal(StreetHead.Head.ProjectRows(plain), first);

        // The head is not the identity it started training from.
        Assert.True(TensorPrimitives.Dot(first.AsSpan(0, 512), plain.AsSpan(0, 512)) < 0.9999f);
    }
}
