using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;
using OutfitFinder.Core.Telemetry;
using OutfitFinder.Grains.Placement;

namespace OutfitFinder.Grains.Extraction;

/// <summary>
/// Decodes images and hands them to this silo's batcher. Reentrant so that concurrent calls
/// reach the batcher together and share a model run; stateless so Orleans may add activations
/// under load; GPU silos preferred.
/// </summary>
[StatelessWorker]
[Reentrant]
[GpuPreferredPlacementFilter]
public sealed class ExtractorGrain(EmbedderRegistry registry, ModelCatalog models, IOptions<ImageLimits> limits) : Grain, IExtractorGrain
{
    /// <inheritdoc />
    public async Task<EmbedResult> EmbedAsync(EmbedRequest request, CancellationToken cancellationToken = default)
    {
        if (!models.TryGetDimension(request.Model, out var dimension))
        {
            throw new ArgumentException($"Model '{request.Model}' is not served by this cluster.");
        }

        var batcher = registry.Get(request.Model);
        if (request.Localise is { } localise)
        {
            return await EmbedRegionsAsync(request, localise, batcher, dimension, cancellationToken);
        }

        var vectors = new float[request.Images.Length * dimension];
        var failures = new List<ImageFailure>();
        var pending = new Task[request.Images.Length];
        for (var i = 0; i < request.Images.Length; i++)
        {
            var index = i;
            // Decoding and preprocessing are CPU work of tens of milliseconds per photo: on the thread pool they
            // run in parallel over the cores instead of one after another on this activation's turn, which
            // would hold the silo's scheduler thread for seconds on a batch.
            pending[i] = Task.Run(() => EmbedOneAsync(index), cancellationToken);
        }

        await Task.WhenAll(pending);
        return new EmbedResult(dimension, MemoryMarshal.AsBytes(vectors.AsSpan()).ToArray(), [.. failures.OrderBy(f => f.Index)], batcher.Embedder.ExecutionProvider);

        async Task EmbedOneAsync(int index)
        {
            SkiaSharp.SKBitmap bitmap;
            using (var decode = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.Decode))
            {
                try
                {
                    bitmap = ImageDecoder.Decode(request.Images[index], limits.Value);
                    decode?.SetTag("image.width", bitmap.Width);
                    decode?.SetTag("image.height", bitmap.Height);
                    if (request.Box is { } box)
                    {
                        // After orientation, so the box is in the coordinates the user saw the photo in.
                        using var upright = bitmap;
                        bitmap = new ImageBox(box.X, box.Y, box.Width, box.Height).Crop(upright);
                    }
                }
                catch (ImageRejectedException rejected)
                {
                    decode?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, rejected.Reason.ToString());
                    lock (failures)
                    {
                        failures.Add(new ImageFailure(index, rejected.Reason.ToString(), rejected.Message));
                    }

                    return;
                }
            }

            using (bitmap)
            {
                var vector = await batcher.EmbedAsync(bitmap, cancellationToken);
                vector.CopyTo(vectors, index * dimension);
            }
        }
    }

    /// <summary>
    /// One photo, many regions: decoded and oriented once, the crop plan of <paramref name="localise"/>
    /// laid inside the box (or the photo), every region handed to the batcher at once so that they
    /// share a model run. A search with only a box is the plan <c>none</c>: one region, the box.
    /// </summary>
    private async Task<EmbedResult> EmbedRegionsAsync(EmbedRequest request, string localise, EmbeddingBatcher batcher, int dimension, CancellationToken cancellationToken)
    {
        if (request.Images.Length != 1)
        {
            throw new ArgumentException($"Localise embeds exactly one image, not {request.Images.Length}.");
        }

        if (!QueryRegions.TryParse(localise, out var mode, out var error))
        {
            throw new ArgumentException(error);
        }

        SkiaSharp.SKBitmap upright;
        IReadOnlyList<ImageBox> regions;
        using var decode = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.Decode);
        try
        {
            upright = await Task.Run(() => ImageDecoder.Decode(request.Images[0], limits.Value), cancellationToken);
            decode?.SetTag("image.width", upright.Width);
            decode?.SetTag("image.height", upright.Height);
            ImageBox? box = request.Box is { } b ? new ImageBox(b.X, b.Y, b.Width, b.Height) : null;
            if (box?.OutsideReason(upright.Width, upright.Height) is { } outside)
            {
                upright.Dispose();
                throw new ImageRejectedException(ImageRejection.BoxOutsideImage, outside);
            }

            regions = QueryRegions.Plan(upright.Width, upright.Height, mode, box);
        }
        catch (ImageRejectedException rejected)
        {
            decode?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, rejected.Reason.ToString());
            return new EmbedResult(dimension, [], [new ImageFailure(0, rejected.Reason.ToString(), rejected.Message)], batcher.Embedder.ExecutionProvider);
        }

        decode?.Dispose();
        var vectors = new float[regions.Count * dimension];
        using (upright)
        {
            await Task.WhenAll(regions.Select((region, i) => Task.Run(async () =>
            {
                using var crop = region.Width == upright.Width && region.Height == upright.Height ? null : region.Crop(upright);
                var vector = await batcher.EmbedAsync(crop ?? upright, cancellationToken);
                vector.CopyTo(vectors, i * dimension);
            }, cancellationToken)));
        }

        return new EmbedResult(dimension, MemoryMarshal.AsBytes(vectors.AsSpan()).ToArray(), [], batcher.Embedder.ExecutionProvider);
    }
}
