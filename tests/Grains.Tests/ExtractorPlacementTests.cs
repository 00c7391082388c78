using OutfitFinder.Grains.Extraction;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Grains.Tests;

public sealed class ExtractorPlacementTests
{
    private static byte[][] Images(int count) => [.. GarmentCatalog.Generate(count, seed: 1).Select(p =>
    {
        using var bitmap = GarmentImages.Draw(p.Spec, 64, 64);
        return GarmentImages.Encode(bitmap, SKEncodedImageFormat.Png);
    })];

    [Fact]
    public async Task Extractor_RunsOnlyOnTheGpuSilo_WhenOneIsUp()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 3, gpuSilos: new HashSet<int> { 2 });
        var images = Images(4);

        // Many independent calls from the client: each may be routed through any silo's gateway.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            cluster.Client.GetGrain<IExtractorGrain>(0).EmbedAsync(new EmbedRequest("resnet18", [images[i % images.Length]]))));

        var silos = cluster.Silos();
        Assert.Equal(1, silos.Count(s => s.Gpu));
        Assert.Equal(40, silos.Single(s => s.Gpu).Embedder.Images);
        Assert.All(silos.Where(s => !s.Gpu), s => Assert.Equal(0, s.Embedder.Images));
    }

    [Fact]
    public async Task Extractor_FallsBackToCpuSilos_WhenNoGpuSiloIsUp()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 2, gpuSilos: new HashSet<int>());

        var result = await cluster.Client.GetGrain<IExtractorGrain>(0).EmbedAsync(new EmbedRequest("resnet18", Images(2)));

        Assert.Empty(result.Failures);
        Assert.Equal(2 * 512 * sizeof(float), result.Vectors.Length);
        Assert.Equal(2, cluster.Embedders().Sum(e => e.Images));
    }

    [Fact]
    public async Task Extractor_FailsClearly_WhenGpuIsRequiredAndNoneIsUp()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>(), requireGpu: true);

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            cluster.Client.GetGrain<IExtractorGrain>(0).EmbedAsync(new EmbedRequest("resnet18", Images(1))));

        Assert.Contains("No active nodes are compatible", error.Message);
        Assert.Equal(0, cluster.Embedders().Sum(e => e.Images));
    }

    [Fact]
    public async Task Extractor_ReportsEachBadImage_AndEmbedsTheRest()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        var good = Images(2);
        byte[] noise = [.. Enumerable.Range(0, 400).Select(i => (byte)(i * 7))];

        var result = await cluster.Client.GetGrain<IExtractorGrain>(0)
            .EmbedAsync(new EmbedRequest("resnet18", [good[0], noise, CraftedImages.Truncate(good[1], 0.3), good[1]]));

        Assert.Equal([1, 2], result.Failures.Select(f => f.Index));
        Assert.Equal("UnsupportedFormat", result.Failures[0].Reason);
        Assert.Equal("Corrupt", result.Failures[1].Reason);
        var vectors = PackedVectors.Unpack(result.Vectors);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(vectors.AsSpan(0, 512)), 3);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(vectors.AsSpan(3 * 512, 512)), 3);
    }

    [Fact]
    public async Task Extractor_BatchesConcurrentCallsIntoFewerModelRuns()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, gpuSilos: new HashSet<int>());
        var images = Images(8);

        await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            cluster.Client.GetGrain<IExtractorGrain>(0).EmbedAsync(new EmbedRequest("resnet18", [images[i % 8]]))));

        var embedder = cluster.Embedders()[0];
        Assert.Equal(64, embedder.Images);
        Assert.True(embedder.Calls < 64, $"{embedder.Calls} model runs for 64 concurrent images: nothing was batched");
    }
}
