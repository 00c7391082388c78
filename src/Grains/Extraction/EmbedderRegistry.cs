using System.Collections.Concurrent;
using OutfitFinder.Core.Extraction;

namespace OutfitFinder.Grains.Extraction;

/// <summary>Creates the embedder for a model name. The default loads ONNX models from disk.</summary>
public interface IEmbedderFactory
{
    IImageEmbedder Create(string model);
}

/// <summary>
/// One batcher per model per silo, created on first use: the batcher owns the ONNX session, so
/// every extractor activation on this silo shares one session and one queue, which is what lets
/// concurrent requests become one model call.
/// </summary>
public sealed class EmbedderRegistry(IEmbedderFactory factory, ModelCatalog models, Func<IImageEmbedder, EmbeddingBatcher> createBatcher)
    : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<EmbeddingBatcher>> _batchers = new(StringComparer.Ordinal);

    /// <summary>The batcher for <paramref name="model"/>; throws for a model the cluster does not serve.</summary>
    public EmbeddingBatcher Get(string model)
    {
        if (!models.TryGetDimension(model, out _))
        {
            throw new ArgumentException($"Model '{model}' is not served by this cluster; known models: {string.Join(", ", models.Names)}.", nameof(model));
        }

        var lazy = _batchers.GetOrAdd(model, name => new Lazy<EmbeddingBatcher>(() => createBatcher(factory.Create(name))));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Lazy<T> would replay this failure forever; forget it so the next call loads again.
            _batchers.TryRemove(KeyValuePair.Create(model, lazy));
            throw;
        }
    }

    /// <summary>The batchers loaded so far (a model that failed to load is not among them).</summary>
    public IEnumerable<EmbeddingBatcher> Loaded =>
        _batchers.Values.Where(lazy => lazy.IsValueCreated).Select(lazy => lazy.Value);

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in _batchers.Values.Where(lazy => lazy.IsValueCreated))
        {
            await batcher.Value.DisposeAsync();
        }
    }
}
