using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OutfitFinder.Core.Images;
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
            try
            {
                bitmap = ImageDecoder.Decode(request.Images[index], limits.Value);
                if (request.Box is { } box)
                {
                    // After orientation, so the box is in the coordinates the user saw the photo in.
                    using var upright = bitmap;
                    bitmap = new ImageBox(box.X, box.Y, box.Width, box.Height).Crop(upright);
                }
            }
            catch (ImageRejectedException rejected)
            {
                lock (failures)
                {
                    failures.Add(new ImageFailure(index, rejected.Reason.ToString(), rejected.Message));
                }

                return;
            }

            using (bitmap)
            {
                var vector = await batcher.EmbedAsync(bitmap, cancellationToken);
                vector.CopyTo(vectors, index * dimension);
            }
        }
    }
}
