namespace OutfitFinder.Core.Search;

/// <summary>Which shard owns a product: a stable hash of its id modulo the shard count.</summary>
public static class ShardRouter
{
    /// <summary>Same answer on every machine and every run (never <see cref="string.GetHashCode()"/>).</summary>
    public static int ShardOf(string productId, int shardCount) => throw new NotImplementedException();
}
