using OutfitFinder.Core.Search;
using OutfitFinder.Core.Shards;

namespace OutfitFinder.Core.Tests.Shards;

/// <summary><c>Search:VectorStorage</c> and <c>Search:VectorFolder</c>: what shards create, and what start-up refuses.</summary>
public sealed class ShardVectorStorageOptionsTests
{
    [Fact]
    public void Defaults_KeepVectorsInMemory()
    {
        var options = new ShardIndexOptions();
        Assert.Equal(VectorStorage.Memory, options.CreateVectorStorage());
        Assert.True(new ShardIndexOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void MappedFile_UsesTheConfiguredFolder_WhichStartUpAccepts()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"some-scratch-{Guid.NewGuid():N}");
        try
        {
            var options = new ShardIndexOptions { VectorStorage = ShardVectorStorage.MappedFile, VectorFolder = folder };
            Assert.Equal(Path.GetFullPath(folder), options.CreateVectorStorage().Folder);
            Assert.True(new ShardIndexOptionsValidator().Validate(null, options).Succeeded);
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void Validator_RefusesMappedFilesWithoutAFolder_AndAnUnknownStorage()
    {
        var validator = new ShardIndexOptionsValidator();
        var noFolder = validator.Validate(null, new ShardIndexOptions { VectorStorage = ShardVectorStorage.MappedFile, VectorFolder = " " });
        Assert.True(noFolder.Failed);
        Assert.Contains("Search:VectorFolder", noFolder.FailureMessage, StringComparison.Ordinal);

        // A folder that cannot be created: its parent is a file.
        var file = Path.GetTempFileName();
        try
        {
            var unwritable = validator.Validate(null, new ShardIndexOptions
            {
                VectorStorage = ShardVectorStorage.MappedFile, VectorFolder = Path.Combine(file, "vectors"),
            });
            Assert.True(unwritable.Failed);
            Assert.Contains("cannot hold scratch files", unwritable.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        var unknown = validator.Validate(null, new ShardIndexOptions { VectorStorage = (ShardVectorStorage)7 });
        Assert.True(unknown.Failed);
        Assert.Contains("Search:VectorStorage", unknown.FailureMessage, StringComparison.Ordinal);
    }
}
