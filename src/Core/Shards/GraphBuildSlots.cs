using Microsoft.Extensions.Options;

namespace OutfitFinder.Core.Shards;

/// <summary>
/// A silo-wide limit on shard graph builds running at once (<c>Search:ConcurrentGraphBuilds</c>).
/// A silo that activates many large shards together would otherwise build every graph at once and
/// starve the searches the exact scan is answering meanwhile; queued builds wait here, off the
/// grains' turns.
/// </summary>
public class GraphBuildSlots(IOptions<ShardIndexOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.ConcurrentGraphBuilds);

    /// <summary>Waits for a free slot; disposing the result frees it.</summary>
    public virtual async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
