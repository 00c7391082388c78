using System.IO.Hashing;
using System.Text;
using Orleans.Runtime.Placement;

namespace OutfitFinder.Grains.Cluster;

/// <summary>Grain keys derived from a silo's address, for stateless workers meant to run on that silo.</summary>
public static class SiloKeys
{
    /// <summary>
    /// A stable, non-zero key for <paramref name="silo"/> (the same in every process); the low bit is
    /// set so that no per-silo key is the key 0 other callers use.
    /// </summary>
    public static long For(SiloAddress silo) =>
        (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(silo.ToParsableString())) | 1UL);

    /// <summary>
    /// Runs <paramref name="call"/> with a placement hint for <paramref name="silo"/>, so a grain the call
    /// activates is placed there when that silo is still a compatible one (Orleans ignores a hint that is not).
    /// </summary>
    public static async Task<T> CallOnAsync<T>(SiloAddress silo, Func<Task<T>> call)
    {
        var previous = RequestContext.Get(IPlacementDirector.PlacementHintKey);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return await call();
        }
        finally
        {
            if (previous is null)
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }
            else
            {
                RequestContext.Set(IPlacementDirector.PlacementHintKey, previous);
            }
        }
    }
}
