using System.Buffers.Binary;
using System.Text;
using OutfitFinder.Core.Storage;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>
/// What every <see cref="IBlobStore"/> adapter must do. An adapter's test class derives from this
/// and supplies a fresh, empty store per test; the same tests then run against it. The tests are
/// skippable so that an adapter whose service is not installed (Azurite) can skip them from
/// <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    /// <summary>The store under test; empty when each test starts, and owned by that test alone.</summary>
    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>A new, empty store (a fresh folder, container or prefix) for one test.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Removes whatever <see cref="CreateStoreAsync"/> made.</summary>
    protected abstract Task DeleteStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public Task DisposeAsync() => DeleteStoreAsync();

    public static TheoryData<string> BadPaths => new()
    {
        "",
        "/rooted",
        "/",
        "a//b",
        "a/",
        "..",
        "../escape",
        "a/../../escape",
        "a/./b",
        ".",
        "a\\b",
        "..\\escape",
        "a/b\0c",
        "a\nb",
        new string('x', BlobPath.MaxLength + 1),
        "a/b" + BlobPath.TemporarySuffix,
        "a" + BlobPath.TemporarySuffix + "/b",
    };

    public static TheoryData<string> BadPrefixes => new()
    {
        "/",
        "/a",
        "a//",
        "..",
        "../",
        "a/..",
        "a\\",
    };

    [SkippableFact]
    public async Task ReadAsync_ReturnsNull_WhenBlobMissing()
    {
        Assert.Null(await Store.ReadAsync("missing", CancellationToken.None));
        Assert.Null(await Store.ReadAsync("no/such/folder/blob", CancellationToken.None));
    }

    [SkippableFact]
    public async Task WriteAsync_StoresBytesReadAsyncReturns_WhenPathIsNested()
    {
        var content = Bytes(10_000, seed: 1);

        await Store.WriteAsync("catalogs/shoes/shards/0/snapshot", content, CancellationToken.None);

        Assert.Equal(content, await Store.ReadAsync("catalogs/shoes/shards/0/snapshot", CancellationToken.None));
    }

    [SkippableFact]
    public async Task WriteAsync_StoresEmptyBlob_WhenContentEmpty()
    {
        await Store.WriteAsync("empty", ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Equal(Array.Empty<byte>(), await Store.ReadAsync("empty", CancellationToken.None));
        Assert.Equal(["empty"], await ListAsync(""));
    }

    [SkippableFact]
    public async Task WriteAsync_ReplacesWholeContent_WhenBlobExists()
    {
        await Store.WriteAsync("blob", Bytes(5_000, seed: 1), CancellationToken.None);
        var shorter = Bytes(300, seed: 2);

        await Store.WriteAsync("blob", shorter, CancellationToken.None);

        Assert.Equal(shorter, await Store.ReadAsync("blob", CancellationToken.None));
    }

    [SkippableFact]
    public async Task WriteAsync_NeverShowsReadersAMix_WhileReplacingRepeatedly()
    {
        var first = Enumerable.Repeat((byte)'A', 200_000).ToArray();
        var second = Enumerable.Repeat((byte)'B', 70_000).ToArray();
        await Store.WriteAsync("blob", first, CancellationToken.None);
        using var stop = new CancellationTokenSource();

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
            {
                await Store.WriteAsync("blob", i % 2 == 0 ? second : first, CancellationToken.None);
            }
        });
        var reads = 0;
        while (!writer.IsCompleted || reads == 0)
        {
            var seen = await Store.ReadAsync("blob", CancellationToken.None);
            Assert.NotNull(seen);
            Assert.True(seen.AsSpan().SequenceEqual(first) || seen.AsSpan().SequenceEqual(second),
                $"read {seen.Length} bytes that are neither version");
            reads++;
        }

        await writer;
        Assert.Equal(first, await Store.ReadAsync("blob", CancellationToken.None));
    }

    [SkippableFact]
    public async Task WriteAsync_StoresWhatTheWriterStreamed_WhenWrittenInPieces()
    {
        var content = Bytes(10_000, seed: 3);

        await Store.WriteAsync("catalogs/shoes/shards/0/snapshot", async (stream, token) =>
        {
            await stream.WriteAsync(content.AsMemory(0, 1), token);
            await stream.WriteAsync(content.AsMemory(1, 4_000), token);
            await stream.WriteAsync(content.AsMemory(4_001), token);
        }, CancellationToken.None);

        Assert.Equal(content, await Store.ReadAsync("catalogs/shoes/shards/0/snapshot", CancellationToken.None));
        Assert.Equal(["catalogs/shoes/shards/0/snapshot"], await ListAsync(""));
    }

    [SkippableFact]
    public async Task WriteAsync_StoresALargeStreamedBlob_WhenItSpansManyWrites()
    {
        // Over 8 MiB: several 4 MiB blocks on Azure, written both in small pieces and in one large write.
        var content = Bytes(9 * 1024 * 1024 + 123, seed: 4);
        await Store.WriteAsync("big", "old"u8.ToArray(), CancellationToken.None);

        await Store.WriteAsync("big", async (stream, token) =>
        {
            var offset = 0;
            for (; offset < 3 * 1024 * 1024; offset += 65_537)
            {
                await stream.WriteAsync(content.AsMemory(offset, 65_537), token);
            }

            await stream.WriteAsync(content.AsMemory(offset), token);
        }, CancellationToken.None);

        await using var read = await Store.OpenReadAsync("big", CancellationToken.None);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);
        Assert.True(content.AsSpan().SequenceEqual(copy.ToArray()), $"read {copy.Length} bytes that differ from the {content.Length} written");
    }

    [SkippableFact]
    public async Task WriteAsync_KeepsOldContentAndLeavesNothingElse_WhenTheWriterThrows()
    {
        var old = Bytes(5_000, seed: 5);
        await Store.WriteAsync("a/blob", old, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("a/blob", async (stream, token) =>
        {
            await stream.WriteAsync(Bytes(5 * 1024 * 1024, seed: 6), token);
            throw new InvalidOperationException("The rows changed.");
        }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("a/new", (_, _) =>
            throw new InvalidOperationException("Nothing to write."), CancellationToken.None));

        Assert.Equal("The rows changed.", e.Message);
        Assert.Equal(old, await Store.ReadAsync("a/blob", CancellationToken.None));
        Assert.Null(await Store.ReadAsync("a/new", CancellationToken.None));
        Assert.Equal(["a/blob"], await ListAsync(""));
    }

    [SkippableFact]
    public async Task WriteAsync_StoresEmptyBlob_WhenTheWriterWritesNothing()
    {
        await Store.WriteAsync("empty", "x"u8.ToArray(), CancellationToken.None);

        await Store.WriteAsync("empty", (_, _) => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(Array.Empty<byte>(), await Store.ReadAsync("empty", CancellationToken.None));
    }

    [SkippableFact]
    public async Task OpenReadAsync_StreamsWholeContent_AndReturnsNullWhenMissing()
    {
        var content = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        await Store.WriteAsync("manifests/big.csv", content, CancellationToken.None);

        await using (var stream = await Store.OpenReadAsync("manifests/big.csv", CancellationToken.None))
        {
            Assert.NotNull(stream);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }

        Assert.Null(await Store.OpenReadAsync("manifests/missing.csv", CancellationToken.None));
        Assert.Null(await Store.OpenReadAsync("no/such/folder/blob", CancellationToken.None));
    }

    [SkippableFact]
    public async Task AppendAsync_CreatesBlob_WhenMissing()
    {
        await Store.AppendAsync("logs/shard-0", "hello"u8.ToArray(), CancellationToken.None);

        Assert.Equal("hello"u8.ToArray(), await Store.ReadAsync("logs/shard-0", CancellationToken.None));
    }

    [SkippableFact]
    public async Task AppendAsync_AddsToTheEnd_WhenBlobExists()
    {
        await Store.WriteAsync("log", "abc"u8.ToArray(), CancellationToken.None);

        await Store.AppendAsync("log", "def"u8.ToArray(), CancellationToken.None);
        await Store.AppendAsync("log", "gh"u8.ToArray(), CancellationToken.None);

        Assert.Equal("abcdefgh"u8.ToArray(), await Store.ReadAsync("log", CancellationToken.None));
    }

    [SkippableFact]
    public async Task AppendAsync_KeepsEveryRecordWhole_WhenManyTasksAppendConcurrently()
    {
        const int writers = 16;
        const int recordsPerWriter = 25;
        // Record: [length:i32][writer:u8][sequence:i32][writer byte repeated]; sizes up to 8 KB make
        // any interleaving of two appends visible as a record whose filler changes value.
        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var sequence = 0; sequence < recordsPerWriter; sequence++)
            {
                var fillerLength = 1 + ((writer * 977 + sequence * 131) % 8_000);
                var record = new byte[sizeof(int) + 1 + sizeof(int) + fillerLength];
                BinaryPrimitives.WriteInt32LittleEndian(record, record.Length);
                record[4] = (byte)writer;
                BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(5), sequence);
                record.AsSpan(9).Fill((byte)writer);
                await Store.AppendAsync("log", record, CancellationToken.None);
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var log = await Store.ReadAsync("log", CancellationToken.None);
        Assert.NotNull(log);
        var nextSequence = new int[writers];
        var offset = 0;
        while (offset < log.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(log.AsSpan(offset));
            var record = log.AsSpan(offset, length);
            var writer = record[4];
            Assert.Equal(nextSequence[writer], BinaryPrimitives.ReadInt32LittleEndian(record[5..]));
            Assert.True(record[9..].IndexOfAnyExcept(writer) < 0, $"record of writer {writer} is interleaved");
            nextSequence[writer]++;
            offset += length;
        }

        Assert.Equal(log.Length, offset);
        Assert.All(nextSequence, count => Assert.Equal(recordsPerWriter, count));
    }

    [SkippableFact]
    public async Task DeleteAsync_RemovesBlobAndReturnsTrue_WhenBlobExists()
    {
        await Store.WriteAsync("a/b", "x"u8.ToArray(), CancellationToken.None);
        await Store.WriteAsync("a/c", "y"u8.ToArray(), CancellationToken.None);

        Assert.True(await Store.DeleteAsync("a/b", CancellationToken.None));

        Assert.Null(await Store.ReadAsync("a/b", CancellationToken.None));
        Assert.Equal("y"u8.ToArray(), await Store.ReadAsync("a/c", CancellationToken.None));
        Assert.Equal(["a/c"], await ListAsync("a/"));
    }

    [SkippableFact]
    public async Task DeleteAsync_ReturnsFalse_WhenBlobMissing()
    {
        await Store.WriteAsync("a/b", "x"u8.ToArray(), CancellationToken.None);

        Assert.False(await Store.DeleteAsync("a/missing", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("no/such/folder", CancellationToken.None));
        Assert.True(await Store.DeleteAsync("a/b", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("a/b", CancellationToken.None));
    }

    [SkippableFact]
    public async Task ListAsync_ReturnsPathsStartingWithPrefixInOrdinalOrder_WhenBlobsAreNested()
    {
        string[] paths = ["z", "a/b/2", "a/b/10", "a/B/x", "a/bc", "ab", "a/b/1/deep", "a/b/é", "a/b/.dot"];
        foreach (var path in paths)
        {
            await Store.WriteAsync(path, Encoding.UTF8.GetBytes(path), CancellationToken.None);
        }

        Assert.Equal(["a/b/.dot", "a/b/1/deep", "a/b/10", "a/b/2", "a/b/é"], await ListAsync("a/b/"));
        Assert.Equal(["a/b/.dot", "a/b/1/deep", "a/b/10", "a/b/2", "a/b/é", "a/bc"], await ListAsync("a/b"));
        Assert.Equal(["a/b/1/deep", "a/b/10"], await ListAsync("a/b/1"));
        Assert.Equal(paths.Order(StringComparer.Ordinal), await ListAsync(""));
    }

    [SkippableFact]
    public async Task ListAsync_ReturnsNothing_WhenNothingMatchesPrefix()
    {
        await Store.WriteAsync("a/b", "x"u8.ToArray(), CancellationToken.None);

        Assert.Empty(await ListAsync("b"));
        Assert.Empty(await ListAsync("a/b/"));
        Assert.Empty(await ListAsync("no/such/folder/"));
    }

    [SkippableTheory]
    [MemberData(nameof(BadPaths))]
    public async Task EveryMember_ThrowsArgumentExceptionWithReason_WhenPathIsBad(string path)
    {
        var content = "x"u8.ToArray();
        var failures = new[]
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ReadAsync(path, CancellationToken.None)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenReadAsync(path, CancellationToken.None)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(path, content, CancellationToken.None)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(path, (stream, token) => stream.WriteAsync(content, token).AsTask(), CancellationToken.None)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AppendAsync(path, content, CancellationToken.None)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(path, CancellationToken.None)),
        };

        Assert.All(failures, e => Assert.EndsWith(".", e.Message.Split(" (Parameter")[0]));
        Assert.Empty(await ListAsync(""));
    }

    [SkippableFact]
    public async Task WriteAsync_ThrowsArgumentExceptionNamingTheSuffix_WhenSegmentUsesTemporarySuffix()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.WriteAsync("a/b" + BlobPath.TemporarySuffix, "x"u8.ToArray(), CancellationToken.None));

        Assert.Contains(BlobPath.TemporarySuffix, e.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(BadPrefixes))]
    public async Task ListAsync_ThrowsArgumentException_WhenPrefixIsBad(string prefix)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => ListAsync(prefix));
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var paths = new List<string>();
        await foreach (var path in Store.ListAsync(prefix, CancellationToken.None))
        {
            paths.Add(path);
        }

        return paths;
    }

    protected static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
