namespace OutfitFinder.Core.Shards.Files;

/// <summary>
/// One change to a catalog shard, as written to the shard's append-only log. Replaying a log's
/// records in order over the last snapshot rebuilds the shard.
/// </summary>
public abstract record ShardLogRecord
{
    private protected ShardLogRecord()
    {
    }

    /// <summary>The product the change is about.</summary>
    public abstract string ProductId { get; }
}

/// <summary>
/// Adds a product or replaces every previous version of it. <paramref name="Vectors"/> holds
/// <c>ImageCount × dimension</c> floats, one row per image; empty when <paramref name="ImageCount"/> is 0.
/// </summary>
/// <remarks>
/// Equality is record equality, so two upserts with equal content but different
/// <see cref="Vectors"/> arrays are not equal; compare the arrays' contents when that matters.
/// </remarks>
public sealed record ProductUpserted(
    string ProductId,
    string? Category,
    string? MetadataJson,
    int ImageCount,
    float[] Vectors) : ShardLogRecord
{
    /// <inheritdoc />
    public override string ProductId { get; } = ProductId;
}

/// <summary>Removes a product and all its images' vectors.</summary>
public sealed record ProductDeleted(string ProductId) : ShardLogRecord
{
    /// <inheritdoc />
    public override string ProductId { get; } = ProductId;
}
