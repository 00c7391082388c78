using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OutfitFinder.Cluster.Tests;

/// <summary>Extraction on a cluster whose silos differ: two told they have a GPU, one not.</summary>
public sealed class GpuClusterTests(GpuCluster cluster, ITestOutputHelper output) : IClassFixture<GpuCluster>
{
    private const int Products = 60;
    private const int Searches = 40;

    [SkippableFact]
    public async Task Extractors_RunOnlyOnGpuSilos_AndShareTheWork_ForGatewayCallsAndIngestionJobs()
    {
        Skip.If(cluster.Unavailable is not null, cluster.Unavailable);
        Assert.Equal(2, (await cluster.SilosAsync()).Count(silo => silo.Gpu));
        await Catalogs.CreateAsync(cluster.Http, "gpu", shards: 4);

        // An ingestion job: its grain and the shards it writes to may sit on the CPU silo, which must still send images to the GPU silos.
        var manifest = new StringBuilder("product_id,image,category\n");
        Directory.CreateDirectory(Path.Combine(cluster.SourceFolder, "images"));
        for (var i = 0; i < Products; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(cluster.SourceFolder, "images", $"p{i}.bmp"), Catalogs.Bmp(5000 + i));
            manifest.Append($"p{i},images/p{i}.bmp,tops\n");
        }

        await File.WriteAllTextAsync(Path.Combine(cluster.SourceFolder, "gpu.csv"), manifest.ToString());
        using (var started = await cluster.Http.PostAsJsonAsync("/v1/catalogs/gpu/ingestions", new { source = "local", manifest = "gpu.csv", id = "load" }))
        {
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        }

        // Photo searches from the client-mode gateway while the job runs.
        for (var i = 0; i < Searches; i++)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(Catalogs.Bmp(5000 + (i % Products))), "image", "q.bmp" } };
            using var response = await cluster.Http.PostAsync("/v1/catalogs/gpu/search?k=3", form);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.True(await Catalogs.EventuallyAsync(TimeSpan.FromMinutes(2), async () =>
        {
            using var job = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/catalogs/gpu/ingestions/load"));
            return job.RootElement.GetProperty("state").GetString() != "running";
        }), "the ingestion job did not end");
        using (var job = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/catalogs/gpu/ingestions/load")))
        {
            Assert.Equal("succeeded", job.RootElement.GetProperty("state").GetString());
        }

        var silos = await cluster.SilosAsync();
        output.WriteLine(string.Join("\n", silos.Select(silo => $"{silo.Address} gpu={silo.Gpu} extractors={silo.Extractors} images={silo.ImagesEmbedded}")));
        var cpu = Assert.Single(silos, silo => !silo.Gpu);
        Assert.Equal(0, cpu.ImagesEmbedded);
        Assert.Equal(0, cpu.Extractors);
        var gpu = silos.Where(silo => silo.Gpu).Select(silo => silo.ImagesEmbedded ?? 0).ToList();
        Assert.Equal(Products + Searches, gpu.Sum());
        // Round-robin over the two: each takes a fair share, neither takes it all.
        Assert.All(gpu, images => Assert.True(images >= (Products + Searches) / 4, $"GPU silos embedded {string.Join(" and ", gpu)} images"));
    }
}
