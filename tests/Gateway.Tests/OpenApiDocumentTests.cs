using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OutfitFinder.TestSupport;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// The OpenAPI document as a front-end team meets it: every problem answer declared, examples given,
/// Redocly's linter content, and a TypeScript client generated from it that really searches.
/// </summary>
public sealed class OpenApiDocumentTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private async Task<JsonElement> DocumentAsync()
    {
        using var document = JsonDocument.Parse(await fixture.Http.GetStringAsync("/openapi/v1.json"));
        return document.RootElement.Clone();
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path =>
            path.Value.EnumerateObject().Select(operation => (path.Name, operation.Name, operation.Value)));

    [Fact]
    public async Task Document_DeclaresProblemResponsesWithTheirSchema_ForEveryOperation()
    {
        var document = await DocumentAsync();

        var missing = new List<string>();
        foreach (var (path, method, operation) in Operations(document))
        {
            var responses = operation.GetProperty("responses");
            var wanted = path.Contains("{catalog}", StringComparison.Ordinal) ? new[] { "400", "404" } : ["400"];
            foreach (var status in wanted)
            {
                if (!responses.TryGetProperty(status, out var response)
                    || response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString() != "#/components/schemas/ProblemDetails")
                {
                    missing.Add($"{method} {path} {status}");
                }
            }
        }

        Assert.Empty(missing);
        var search = document.GetProperty("paths").GetProperty("/v1/catalogs/{catalog}/search").GetProperty("post");
        Assert.All(new[] { "413", "415", "503" }, status => Assert.True(search.GetProperty("responses").TryGetProperty(status, out _), status));
        Assert.Equal("40,120,200,260", search.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("box").GetString());
        var tags = document.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("description").GetString());
        Assert.Contains("Search", tags.Keys);
        Assert.All(tags.Values, description => Assert.False(string.IsNullOrWhiteSpace(description)));
    }

    [SkippableFact]
    public async Task Document_PassesRedoclyLint_AndATypeScriptClientBuiltFromItFindsAProduct()
    {
        var tools = Path.Combine(RepositoryRoot(), ".tools");
        var bin = Path.Combine(tools, "node_modules", ".bin");
        var missing = new[] { "redocly", "openapi-typescript", "tsc" }.Where(tool => !File.Exists(Path.Combine(bin, tool))).ToList();
        if (missing.Count > 0)
        {
            var reason = $"{string.Join(", ", missing)} not in .tools/: scripts/test.sh installs them (ensure_openapi_tools).";
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", reason + " CI does not skip this test.");
            Skip.If(true, reason);
        }

        // The client runs in node, so the gateway is a real process on a real port.
        var storage = Directory.CreateTempSubdirectory("outfit-openapi-").FullName;
        var work = Directory.CreateDirectory(Path.Combine(tools, $"openapi-client-{Guid.NewGuid():N}")).FullName;
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["Storage:Root"] = storage });
            var products = GarmentCatalog.Generate(4, seed: 31);
            var images = await LoadAsync(gateway.Http, "typed", products);
            await File.WriteAllTextAsync(Path.Combine(work, "openapi.json"), await gateway.Http.GetStringAsync("/openapi/v1.json"));

            await RunAsync(work, Path.Combine(bin, "redocly"), "lint", "openapi.json");
            await RunAsync(work, Path.Combine(bin, "openapi-typescript"), "openapi.json", "-o", "api.d.ts");
            await File.WriteAllTextAsync(Path.Combine(work, "package.json"), """{"type":"module"}""");
            await File.WriteAllTextAsync(Path.Combine(work, "tsconfig.json"), """
                {"compilerOptions":{"target":"es2022","module":"nodenext","moduleResolution":"nodenext","strict":true,"outDir":"out","skipLibCheck":false},"files":["client.ts"]}
                """);
            await File.WriteAllTextAsync(Path.Combine(work, "client.ts"), """
                import createClient from "openapi-fetch";
                import type { paths } from "./api.js";

                declare const process: { argv: string[]; exit(code: number): never };
                const client = createClient<paths>({ baseUrl: process.argv[2] });
                const { data, error } = await client.POST("/v1/catalogs/{catalog}/search", {
                  params: { path: { catalog: process.argv[3] } },
                  body: { image: process.argv[4], k: 3 },
                });
                if (error !== undefined || data === undefined) {
                  console.error(JSON.stringify(error));
                  process.exit(1);
                }
                const best: string = data.results[0].productId;
                const score: number = data.results[0].score;
                console.log(`${best} ${score.toFixed(3)}`);
                """);
            await RunAsync(work, Path.Combine(bin, "tsc"), "-p", "tsconfig.json");

            var (productId, _) = products[2];
            var output = await RunAsync(work, "node", "out/client.js", gateway.Address.ToString().TrimEnd('/'), "typed", Convert.ToBase64String(images[productId]));

            Assert.StartsWith($"{productId} 1.000", output.Trim());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            Directory.Delete(storage, recursive: true);
        }
    }

    private static async Task<Dictionary<string, byte[]>> LoadAsync(HttpClient http, string catalog, IReadOnlyList<(string ProductId, GarmentSpec Spec)> products)
    {
        (await http.PutAsJsonAsync($"/v1/catalogs/{catalog}", new { shards = 2 })).EnsureSuccessStatusCode();
        var images = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (productId, spec) in products)
        {
            using var bitmap = GarmentImages.Draw(spec, 160, 160);
            images[productId] = GarmentImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
            var part = new ByteArrayContent(images[productId]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            (await http.PutAsync($"/v1/catalogs/{catalog}/products/{productId}", new MultipartFormDataContent { { part, "image", "shop.jpg" } })).EnsureSuccessStatusCode();
        }

        return images;
    }

    private static async Task<string> RunAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(program)} {string.Join(' ', arguments.Select(a => a.Length > 80 ? a[..20] + "…" : a))} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}.");
    }
}
