using OutfitFinder.Core.Search;
using OutfitFinder.Grains.Hosting;

namespace OutfitFinder.Grains.Tests;

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
    public void MappedFile_UsesTheConfiguredFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "some-scratch");
        var storage = new ShardIndexOptions { VectorStorage = ShardVectorStorage.MappedFile, VectorFolder = folder }.CreateVectorStorage();
        Assert.Equal(Path.GetFullPath(folder), storage.Folder);
    }

    [Fact]
    public void Validator_RefusesMappedFilesWithoutAFolder_AndAnUnknownStorage()
    {
        var validator = new ShardIndexOptionsValidator();
        var noFolder = validator.Validate(null, new ShardIndexOptions { VectorStorage = ShardVectorStorage.MappedFile, VectorFolder = " " });
        Assert.True(noFolder.Failed);
        Assert.Contains("Search:VectorFolder", noFolder.FailureMessage, StringComparison.Ordinal);

        var unknown = validator.Validate(null, new ShardIndexOptions { VectorStorage = (ShardVectorStorage)7 });
        Assert.True(unknown.Failed);
        Assert.Contains("Search:VectorStorage", unknown.FailureMessage, StringComparison.Ordinal);
    }
}
