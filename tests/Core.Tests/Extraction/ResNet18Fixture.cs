using OutfitFinder.Core.Extraction;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Extraction;

/// <summary>
/// One ResNet18 load (~60 MB, a few seconds) shared by every test class in the
/// <see cref="ResNet18Collection"/>, created with default options (Auto provider).
/// </summary>
public sealed class ResNet18Fixture : IDisposable
{
    internal ListLogger<ResNet18Embedder> Logger { get; } = new();

    public ResNet18Embedder Embedder { get; }

    public ResNet18Fixture() => Embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions(), Logger);

    public void Dispose() => Embedder.Dispose();
}

/// <summary>
/// Test classes that need the real model. One collection rather than a fixture per class so
/// the model loads once, and its tests do not compete for the CPU with each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ResNet18Collection : ICollectionFixture<ResNet18Fixture>
{
    public const string Name = "ResNet18";
}
