using System.Diagnostics;
using OutfitFinder.Core.Images;
using OutfitFinder.TestSupport;

namespace OutfitFinder.Core.Tests.Images;

/// <summary>Alone in its collection: it measures the process's memory, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(DecompressionBombTests), DisableParallelization = true)]
public sealed class DecompressionBombCollection;

[Collection(nameof(DecompressionBombTests))]
public sealed class DecompressionBombTests
{
    [Fact]
    public void Decode_RejectsBomb_WithoutAllocatingItsPixels()
    {
        // 100,000 × 100,000 RGBA would be 40 GB; the file is a few hundred bytes.
        var bomb = CraftedImages.PngDeclaring(100_000, 100_000);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var residentBefore = process.WorkingSet64;
        var managedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(bomb, ImageLimits.Default));

        clock.Stop();
        process.Refresh();
        Assert.Equal(ImageRejection.TooManyPixels, error.Reason);
        Assert.Equal("Image is 10,000,000,000 pixels (100000×100000); the limit is 40,000,000.", error.Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - managedBefore, 0, 1_000_000);
        Assert.InRange(process.WorkingSet64 - residentBefore, long.MinValue, 64_000_000);
        Assert.InRange(clock.ElapsedMilliseconds, 0, 2_000);
    }
}
