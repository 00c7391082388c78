using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OutfitFinder.Bench.Reporting;

namespace OutfitFinder.Bench.Search;

/// <summary>What <c>photo-search</c> measures.</summary>
/// <param name="Set">
/// A street set written by <c>outfit pairs --kind street</c>: its <c>test_shop.csv</c> becomes the
/// catalogs, its <c>test_queries.csv</c> the query photos (each knows its product).
/// </param>
/// <param name="Queries">Timed query photos; each is searched once in every case.</param>
/// <param name="WarmUp">Untimed query photos searched in every case before the timed ones.</param>
/// <param name="Seed">Draws the query photos.</param>
/// <param name="Model">The space under test; null creates the catalog without a model, so it gets the gateway's default for new catalogs.</param>
/// <param name="Baseline">The space it is compared with, searched with <c>localise=none</c>.</param>
/// <param name="Localise">The localisations the space under test is searched with.</param>
/// <param name="K">Results per search; hits are counted at 1 and at k.</param>
/// <param name="Shards">Shards of each catalog.</param>
/// <param name="Parallel">Products uploaded at once while loading.</param>
/// <param name="TimeLimit">The whole command stops with an error after this long.</param>
internal sealed record PhotoSearchSettings(
    DirectoryInfo? Set, int Queries, int WarmUp, int Seed, string? Model, string Baseline, IReadOnlyList<string> Localise, int K, int Shards,
    int Parallel, TimeSpan TimeLimit);

/// <summary>One catalog's load: products uploaded through <c>PUT …/products/{id}</c>, each photo embedded by the gateway.</summary>
internal sealed record PhotoSearchLoad(string Benchmark, string Catalog, string Model, int Products, double Seconds, double ProductsPerSecond);

/// <summary>
/// One case: a catalog searched by photo over HTTP with one localisation. Latency is the client's,
/// from sending the multipart request to the last byte of the answer; <c>TookP50Ms</c> is the
/// gateway's own <c>tookMs</c>. Top-1 and top-k count the queries whose own product ranked there.
/// </summary>
internal sealed record PhotoSearchRun(
    string Benchmark, string Case, string Model, string Localise, int Queries, int K,
    double P50Ms, double P90Ms, double P99Ms, double MeanMs, double TookP50Ms, double Top1, double TopK);

/// <summary>
/// <c>photo-search</c>: the served path of a search by photo, end to end. The real gateway with its
/// embedded silo loads the street set's shop photos into two catalogs (the space under test and the
/// baseline) through the products API, then sends each query photo through
/// <c>POST /v1/catalogs/{catalog}/search</c> once per case: the baseline with <c>localise=none</c>,
/// and the space under test with each localisation. The cases are interleaved query by query, the
/// order rotated each time, so that whatever else the machine does falls on every case alike.
/// </summary>
internal static class PhotoSearchBenchmark
{
    private const string SetFolder = ".eval/street";

    public static async Task<int> RunAsync(PhotoSearchSettings settings, Report report, CancellationToken cancellationToken)
    {
        var set = settings.Set?.FullName ?? FindSet();
        var shopCsv = set is null ? null : Path.Combine(set, "test_shop.csv");
        var queriesCsv = set is null ? null : Path.Combine(set, "test_queries.csv");
        if (shopCsv is null || queriesCsv is null || !File.Exists(shopCsv) || !File.Exists(queriesCsv))
        {
            report.Line(
                $"SKIPPED: no street set ({(set is null ? $"{SetFolder} beside the repository root" : set)} with test_shop.csv and test_queries.csv). "
                + "Make one with: outfit pairs --photos ../shared/data/clothing --out .eval/street --seed 1 --test-fraction 0.2 "
                + "--category-fraction 0.1 --validation-fraction 0.1 --views 2 --kind street; or pass --set DIR.");
            return 0;
        }

        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeLimit.CancelAfter(settings.TimeLimit);
        report.Machine();
        var shop = ReadRows(shopCsv, "product_id", "image", "category");
        var products = shop.Select(row => row[0]).ToHashSet(StringComparer.Ordinal);
        var queries = ReadRows(queriesCsv, "image", "product_id", "category").Where(row => products.Contains(row[1])).ToArray();
        new Random(settings.Seed).Shuffle(queries);
        var wanted = settings.WarmUp + settings.Queries;
        if (queries.Length < wanted)
        {
            throw new InvalidDataException($"'{queriesCsv}' has {queries.Length} queries of gallery products; the run needs {wanted}.");
        }

        queries = queries[..wanted];
        report.Line(
            $"Street set {set}: {shop.Count} shop photos per catalog; {settings.Queries} timed query photos and {settings.WarmUp} warm-up ones "
            + $"drawn with seed {settings.Seed} from {Path.GetFileName(queriesCsv)}; k = {settings.K}; one search at a time.");

        var storage = Directory.CreateTempSubdirectory("outfit-bench-photo-");
        try
        {
            return await RunWithGatewayAsync(settings, report, shop, queries, storage.FullName, timeLimit.Token);
        }
        catch (OperationCanceledException) when (timeLimit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            report.Line($"STOPPED: the run took longer than --time-limit ({settings.TimeLimit.TotalSeconds:F0} s); no figures are reported.");
            return 2;
        }
        finally
        {
            storage.Delete(recursive: true);
        }
    }

    private static async Task<int> RunWithGatewayAsync(
        PhotoSearchSettings settings, Report report, List<string[]> shop, string[][] queries, string storageRoot, CancellationToken cancellationToken)
    {
        await using var gateway = await InProcessGateway.StartAsync(storageRoot, [], cancellationToken);
        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(120) };

        // The space under test first: left without a model it shows which space a new catalog gets today.
        var loads = new List<PhotoSearchLoad>();
        var underTest = await LoadAsync(http, "under-test", settings.Model, settings, shop, cancellationToken);
        loads.Add(underTest);
        var baseline = await LoadAsync(http, "baseline", settings.Baseline, settings, shop, cancellationToken);
        loads.Add(baseline);
        foreach (var load in loads)
        {
            report.Line($"Catalog '{load.Catalog}' ({load.Model}, {settings.Shards} shards): {load.Products} shop photos uploaded and embedded in {load.Seconds:F1} s ({load.ProductsPerSecond:F1}/s).");
        }

        (string Name, string Catalog, string Model, string Localise)[] cases =
        [
            ($"{baseline.Model}, none", baseline.Catalog, baseline.Model, "none"),
            .. settings.Localise.Select(mode => ($"{underTest.Model}, {mode}", underTest.Catalog, underTest.Model, mode)),
        ];

        var photos = queries.Select(row => File.ReadAllBytes(row[0])).ToArray();
        var latencies = cases.Select(_ => new double[settings.Queries]).ToArray();
        var took = cases.Select(_ => new double[settings.Queries]).ToArray();
        var ranks = cases.Select(_ => new int?[settings.Queries]).ToArray();
        report.Line($"Load average before the searches: {MachineInfo.ReadLoadAverage()}");
        var started = Stopwatch.GetTimestamp();
        for (var q = 0; q < queries.Length; q++)
        {
            // Rotating the order: no case always follows the heaviest one, or always comes first after a pause.
            for (var step = 0; step < cases.Length; step++)
            {
                var c = (q + step) % cases.Length;
                var sent = Stopwatch.GetTimestamp();
                var payload = await SearchAsync(http, cases[c].Catalog, photos[q], cases[c].Localise, settings.K, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                if (q < settings.WarmUp)
                {
                    continue;
                }

                var t = q - settings.WarmUp;
                latencies[c][t] = elapsed;
                (took[c][t], ranks[c][t]) = Parse(payload, queries[q][1]);
            }

            if ((q + 1) % 25 == 0)
            {
                report.Output.WriteLine($"  {q + 1}/{queries.Length} query photos searched in every case, {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s, load average {MachineInfo.ReadLoadAverage()}");
            }
        }

        var runs = cases.Select((c, i) => new PhotoSearchRun(
            "photo-search", c.Name, c.Model, c.Localise, settings.Queries, settings.K,
            Report.Ms(Statistics.Median(latencies[i])), Report.Ms(Statistics.Percentile(latencies[i], 90)), Report.Ms(Statistics.Percentile(latencies[i], 99)),
            Report.Ms(latencies[i].Average()), Report.Ms(Statistics.Median(took[i])),
            Math.Round((double)ranks[i].Count(rank => rank == 1) / settings.Queries, 4),
            Math.Round((double)ranks[i].Count(rank => rank is not null) / settings.Queries, 4))).ToList();
        Print(report, runs, settings, Stopwatch.GetElapsedTime(started).TotalSeconds);
        foreach (var load in loads)
        {
            report.Json(load);
        }

        foreach (var run in runs)
        {
            report.Json(run);
        }

        return 0;
    }

    /// <summary>
    /// Creates a catalog and uploads every shop photo as a product (the gateway embeds each), a few at a time.
    /// Returns the model the catalog was given, read back from the gateway.
    /// </summary>
    private static async Task<PhotoSearchLoad> LoadAsync(
        HttpClient http, string catalog, string? model, PhotoSearchSettings settings, List<string[]> shop, CancellationToken cancellationToken)
    {
        var create = await http.PutAsJsonAsync($"v1/catalogs/{catalog}",
            model is null ? (object)new { metric = "cosine", shards = settings.Shards } : new { model, metric = "cosine", shards = settings.Shards },
            cancellationToken);
        await EnsureSuccessAsync(create, $"Creating catalog '{catalog}'", cancellationToken);

        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(shop, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = cancellationToken },
            async (row, token) =>
            {
                using var form = new MultipartFormDataContent();
                var image = new ByteArrayContent(await File.ReadAllBytesAsync(row[1], token));
                image.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(image, "image", Path.GetFileName(row[1]));
                form.Add(new StringContent(row[2]), "category");
                using var response = await http.PutAsync($"v1/catalogs/{catalog}/products/{Uri.EscapeDataString(row[0])}", form, token);
                await EnsureSuccessAsync(response, $"Uploading product '{row[0]}'", token);
            });
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var held = await http.GetFromJsonAsync<JsonElement>($"v1/catalogs/{catalog}", cancellationToken);
        if (held.GetProperty("products").GetInt64() != shop.Count)
        {
            throw new InvalidOperationException($"Catalog '{catalog}' holds {held.GetProperty("products").GetInt64()} products after uploading {shop.Count}.");
        }

        return new PhotoSearchLoad("photo-search", catalog, held.GetProperty("model").GetString()!, shop.Count, Math.Round(seconds, 2), Report.Rate(shop.Count / seconds));
    }

    /// <summary>One search by photo (multipart, <c>localise</c> in the query string); the whole body is read before the clock stops.</summary>
    private static async Task<byte[]> SearchAsync(HttpClient http, string catalog, byte[] photo, string localise, int k, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(photo);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(part, "image", "query.jpg");
        using var response = await http.PostAsync(
            string.Create(CultureInfo.InvariantCulture, $"v1/catalogs/{catalog}/search?k={k}&localise={localise}"), form, cancellationToken);
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Search by photo in '{catalog}' answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(payload)}");
        }

        return payload;
    }

    /// <summary>The gateway's <c>tookMs</c> and the 1-based rank of <paramref name="product"/> (null when not in the answer); a partial answer is an error.</summary>
    private static (double TookMs, int? Rank) Parse(byte[] payload, string product)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        if (root.GetProperty("partial").GetBoolean())
        {
            throw new InvalidOperationException("A search got a partial answer: a shard missed the deadline.");
        }

        var rank = 0;
        foreach (var hit in root.GetProperty("results").EnumerateArray())
        {
            rank++;
            if (hit.GetProperty("productId").GetString() == product)
            {
                return (root.GetProperty("tookMs").GetDouble(), rank);
            }
        }

        return (root.GetProperty("tookMs").GetDouble(), null);
    }

    private static void Print(Report report, List<PhotoSearchRun> runs, PhotoSearchSettings settings, double seconds)
    {
        report.Line();
        report.Line($"Searches: {runs.Count} cases × {settings.Queries} timed photos, interleaved, in {seconds:F0} s.");
        report.Line();
        var table = new MarkdownTable("catalog model", "localise", "p50 ms", "p90 ms", "p99 ms", "mean ms", "tookMs p50", "× baseline p50", "top-1", $"top-{settings.K}");
        var baseline = runs[0];
        foreach (var run in runs)
        {
            table.Add(
                run.Model, run.Localise, F0(run.P50Ms), F0(run.P90Ms), F0(run.P99Ms), F0(run.MeanMs), F0(run.TookP50Ms),
                (run.P50Ms / baseline.P50Ms).ToString("F1", CultureInfo.InvariantCulture) + "×",
                Percent(run.Top1), Percent(run.TopK));
        }

        report.Table(table);
        report.LoadAtEnd();
        report.Line();
    }

    /// <summary>The street set beside the repository root (<c>.eval/street</c>), found from the working directory or the program.</summary>
    private static string? FindSet()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
                {
                    var candidate = Path.Combine(directory.FullName, SetFolder);
                    return Directory.Exists(candidate) ? candidate : null;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The named columns of a CSV that <c>outfit pairs</c> wrote (nothing quoted: ids, relative paths
    /// and labels hold no commas); <c>image</c> cells become paths beside the file.
    /// </summary>
    private static List<string[]> ReadRows(string path, params string[] columns)
    {
        var lines = File.ReadAllLines(path);
        var header = lines.Length > 0 ? lines[0].Split(',') : [];
        var positions = columns.Select(column => Array.IndexOf(header, column)).ToArray();
        if (positions.Any(position => position < 0))
        {
            throw new InvalidDataException($"'{path}' needs the columns {string.Join(",", columns)}.");
        }

        var folder = Path.GetDirectoryName(path)!;
        return [.. lines.Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length)
            {
                throw new InvalidDataException($"'{path}' has a row with {cells.Length} cells, not {header.Length}: {line}");
            }

            return columns.Select((column, i) => column == "image" ? Path.Combine(folder, cells[positions[i]]) : cells[positions[i]]).ToArray();
        })];
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {body}");
        }
    }

    private static string F0(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
