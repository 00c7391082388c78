using System.Reflection;
using OutfitFinder.Core.Shards;
using OutfitFinder.Gateway.Hosting;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The dependency rules of docs/architecture.md, checked on the built assemblies: Core knows neither Orleans nor
/// ASP.NET Core, and nothing the server runs references the Lab project (trainers, benchmark data).
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(CatalogShard).Assembly;

    public static TheoryData<string> ServerAssemblies => new()
    {
        Core.GetName().Name!,
        typeof(CatalogShardGrain).Assembly.GetName().Name!,
        typeof(ICatalogShardGrain).Assembly.GetName().Name!,
        typeof(GatewayOptions).Assembly.GetName().Name!,
    };

    [Fact]
    public void Core_ReferencesNeitherOrleansNorAspNetCore()
    {
        var references = Core.GetReferencedAssemblies().Select(reference => reference.Name!).ToList();

        Assert.DoesNotContain(references, name => name.StartsWith("Orleans", StringComparison.Ordinal));
        Assert.DoesNotContain(references, name => name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
        Assert.DoesNotContain(references, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains("Azure.Storage.Blobs", references);
    }

    [Theory]
    [MemberData(nameof(ServerAssemblies))]
    public void ServerAssembly_DoesNotReferenceLab(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);

        var references = assembly.GetReferencedAssemblies().Select(reference => reference.Name).ToList();

        Assert.DoesNotContain("OutfitFinder.Lab", references);
        Assert.NotEmpty(references);
    }
}
