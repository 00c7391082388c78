using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OutfitFinder.Gateway.Tests.Fuzzing;

/// <summary>
/// Mutated images and malformed requests against a real gateway (Kestrel on a loopback port,
/// keys on), for <c>OUTFIT_FUZZ_SECONDS</c> (default 20). Asserts what a user of the cluster needs:
/// no 5xx, no crash, memory back near its baseline, every accepted write readable back exactly,
/// and nothing accepted that is wrong by construction. Rerun longer or with another seed:
/// <c>OUTFIT_FUZZ_SECONDS=600 OUTFIT_FUZZ_SEED=7 dotnet test tests/Gateway.Tests --filter FullyQualifiedName~FuzzTests</c>.
/// It runs alone (<see cref="FuzzCollection"/>): the managed heap is the test process's, so tests
/// running beside it would move the memory it compares.
/// </summary>
[Collection(nameof(FuzzCollection))]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const string Catalog = "fuzz";
    private const string AdminKey = "ofk_fuzz.fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
    private const int Workers = 4;

    /// <summary>Managed memory the run may leave behind beyond its start (the products it stored, pools).</summary>
    private const long MemoryMargin = 64L * 1024 * 1024;

    [Fact]
    public async Task Gateway_AnswersEveryFuzzCaseWithoutA5xx_AndStaysHealthy()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("OUTFIT_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 20;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("OUTFIT_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : Environment.TickCount;
        var port = FreePorts.Next();
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Auth:Mode"] = "Keys",
            ["Auth:BootstrapKey"] = AdminKey,
            ["Gateway:MaxRequestBytes"] = FuzzCases.MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
            // The fuzzer is one key sending as fast as it can: limits are not what is under test here.
            ["Limits:Search:PerSecond"] = "100000", ["Limits:Search:Burst"] = "100000",
            ["Limits:Write:PerSecond"] = "100000", ["Limits:Write:Burst"] = "100000",
            ["Limits:Admin:PerSecond"] = "100000", ["Limits:Admin:Burst"] = "100000",
            ["Limits:ImageSearchConcurrency"] = "64",
        });
        factory.UseKestrel();
        factory.StartServer();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // localise none: the memory margin is for what the fuzz run stores, not for pools sized by 14 crops per photo.
        (await http.CreateCatalogAsync(Catalog, new { shards = 2, localise = "none" })).EnsureSuccessStatusCode();
        using (var good = await http.PutProductAsync(Catalog, "warm-up", [GoodJpeg()]))
        {
            good.EnsureSuccessStatusCode();
        }

        (await http.SearchByImageAsync(Catalog, GoodJpeg(), "k=1")).EnsureSuccessStatusCode();
        var baseline = ManagedBytes();

        var tally = new ConcurrentDictionary<(string Kind, string Answer), int>();
        var failures = new ConcurrentQueue<string>();
        var accepted = new ConcurrentQueue<AcceptedWrite>();
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var cases = new FuzzCases(seed + worker, $"w{worker}", Catalog, AdminKey);
            while (clock.Elapsed < deadline && failures.Count < 20)
            {
                var fuzz = cases.Next();
                var (status, body) = fuzz.Raw is not null ? await SendRawAsync(address, fuzz.Raw) : await SendAsync(http, fuzz);
                var answer = status?.ToString(CultureInfo.InvariantCulture) ?? "closed";
                tally.AddOrUpdate((fuzz.Kind, answer), 1, (_, n) => n + 1);
                if (status is >= 500)
                {
                    failures.Enqueue($"{fuzz.Kind}: {fuzz.Describe} → {status} {body}");
                }
                else if (status is null && fuzz.Expect != Expect.Reject)
                {
                    failures.Enqueue($"{fuzz.Kind}: {fuzz.Describe} → connection closed without an answer ({body})");
                }
                else if (status is >= 200 and < 300 && fuzz.Expect == Expect.Reject)
                {
                    failures.Enqueue($"{fuzz.Kind}: {fuzz.Describe} → {status}, but it is wrong by construction and must be refused");
                }
                else if (status is 200 or 201 && fuzz.Image is not null && fuzz.Request is not null && body is not null)
                {
                    var productId = JsonDocument.Parse(body).RootElement.GetProperty("productId").GetString()!;
                    accepted.Enqueue(new AcceptedWrite(Catalog, productId, fuzz.Image, fuzz.Describe));
                }
            }
        }))).WaitAsync(deadline + TimeSpan.FromMinutes(3));
        var elapsed = clock.Elapsed;

        foreach (var write in accepted)
        {
            await AssertReadableAsync(http, write, failures);
        }

        var ready = await http.GetAsync("/health/ready");
        var after = ManagedBytes();
        Report(seed, elapsed, tally, accepted.Count, baseline, after);

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(after <= baseline + MemoryMargin,
            $"managed memory after the run is {after / 1048576.0:F0} MiB; before it was {baseline / 1048576.0:F0} MiB (margin {MemoryMargin / 1048576} MiB)");
        Assert.True(tally.Values.Sum() >= 100, $"only {tally.Values.Sum()} cases ran in {elapsed}");
    }

    private static async Task<(int? Status, string? Body)> SendAsync(HttpClient http, FuzzCase fuzz)
    {
        using var request = fuzz.Request!();
        if (request.RequestUri is { IsAbsoluteUri: true } absolute && absolute.Host == "fuzz.invalid")
        {
            // Path tricks are built against a placeholder host, so that the raw path survives as written.
            request.RequestUri = new Uri(http.BaseAddress!.GetLeftPart(UriPartial.Authority) + absolute.OriginalString["http://fuzz.invalid".Length..],
                new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        }

        try
        {
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException exception)
        {
            // The server may answer a huge header or body early and close while the client still writes.
            return (null, exception.Message);
        }
    }

    /// <summary>Writes raw bytes and reads the status line, for framing HttpClient will not produce.</summary>
    private static async Task<(int? Status, string? Body)> SendRawAsync(Uri address, byte[] raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(raw);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        var read = 0;
        try
        {
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0)
            {
                read += n;
                if (Encoding.Latin1.GetString(buffer, 0, read).Contains("\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException exception)
        {
            return (null, exception.Message);
        }

        var statusLine = Encoding.Latin1.GetString(buffer, 0, read).Split("\r\n")[0];
        var parts = statusLine.Split(' ');
        return parts.Length >= 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var status) ? (status, statusLine) : (null, statusLine);
    }

    private static async Task AssertReadableAsync(HttpClient http, AcceptedWrite write, ConcurrentQueue<string> failures)
    {
        var path = $"/v1/catalogs/{write.Catalog}/products/{Uri.EscapeDataString(write.ProductId)}";
        using var product = await http.GetAsync(path);
        if (product.StatusCode != HttpStatusCode.OK)
        {
            failures.Enqueue($"accepted write not readable: {write.Describe} → GET {path} answered {(int)product.StatusCode}");
            return;
        }

        var body = await product.Content.ReadFromJsonAsync<ProductBody>(Api.Json);
        var image = await http.GetByteArrayAsync(path + "/images/0");
        if (body!.ProductId != write.ProductId || !image.AsSpan().SequenceEqual(write.Image))
        {
            failures.Enqueue($"accepted write read back differently: {write.Describe} → id '{body.ProductId}', image {image.Length} bytes of {write.Image.Length}");
        }
    }

    private void Report(int seed, TimeSpan elapsed, ConcurrentDictionary<(string Kind, string Answer), int> tally, int accepted, long before, long after)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"fuzz seed {seed}: {tally.Values.Sum()} cases in {elapsed.TotalSeconds:F0} s, {accepted} accepted writes read back");
        foreach (var kind in tally.GroupBy(entry => entry.Key.Kind).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            var answers = string.Join(", ", kind.OrderBy(entry => entry.Key.Answer, StringComparer.Ordinal).Select(entry => $"{entry.Key.Answer}×{entry.Value}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"  {kind.Key,-16} {kind.Sum(entry => entry.Value),6}  {answers}");
        }

        var byStatus = tally.GroupBy(entry => entry.Key.Answer).OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"{group.Key}×{group.Sum(entry => entry.Value)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  answers: {string.Join(", ", byStatus)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  managed memory: {before / 1048576.0:F1} MiB before, {after / 1048576.0:F1} MiB after");
        output.WriteLine(text.ToString());
        if (Environment.GetEnvironmentVariable("OUTFIT_FUZZ_REPORT") is { Length: > 0 } file)
        {
            File.WriteAllText(file, text.ToString());
        }
    }

    private static long ManagedBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static byte[] GoodJpeg()
    {
        using var bitmap = GarmentImages.Draw(GarmentCatalog.Generate(1, seed: 5)[0].Spec);
        return GarmentImages.Encode(bitmap, SkiaSharp.SKEncodedImageFormat.Jpeg);
    }
}

/// <summary>Runs <see cref="FuzzTests"/> after every other test class, with nothing beside it.</summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;
