using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using OutfitFinder.Core.Telemetry;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests;

/// <summary>
/// One gateway with tracing on and spans kept in memory, with a catalog of a few garments over
/// <see cref="Shards"/> shards and one photo search already made.
/// </summary>
public sealed class TracedGatewayFixture : IAsyncLifetime
{
    public const string Catalog = "traced";
    public const int Shards = 3;
    public const int ProductCount = 5;

    private readonly GatewayFactory _factory;

    public TracedGatewayFixture()
    {
        var settings = IngestionTests.SourceSettings(Source.Root);
        settings["Telemetry:Tracing"] = "true";
        _factory = new GatewayFactory(overrides: settings);
    }

    /// <summary>A folder of garment photos with a manifest, known to the gateway as ingestion source <c>shop</c>.</summary>
    public IngestionSourceFolder Source { get; } = new(products: 6);

    public WebApplicationFactory<Hosting.GatewayOptions> Factory { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Every span the gateway (and its embedded silo) finished, in the order they ended.</summary>
    public SpanLog Spans { get; } = new();

    public byte[] QueryImage { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Factory = _factory.WithWebHostBuilder(web => web.ConfigureServices(services =>
            services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(Spans))));
        Http = Factory.CreateClient();
        (await Http.CreateCatalogAsync(Catalog, new { shards = Shards, localise = "none" })).EnsureSuccessStatusCode();
        foreach (var (productId, spec) in GarmentCatalog.Generate(ProductCount, seed: 13))
        {
            using var shop = GarmentImages.Draw(spec);
            var bytes = GarmentImages.Encode(shop, SKEncodedImageFormat.Jpeg);
            QueryImage = bytes;
            (await Http.PutProductAsync(Catalog, productId, [bytes], spec.Category)).EnsureSuccessStatusCode();
        }
    }

    /// <summary>The spans of one trace, once its root (the HTTP request span for <paramref name="path"/>) has ended.</summary>
    public async Task<List<Activity>> TraceOfRequestAsync(string path)
    {
        // The server span ends after the response is written, so it may land a moment after the client has the answer.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var spans = Spans.Snapshot();
            var root = spans.LastOrDefault(span => span.Kind == ActivityKind.Server && span.GetTagItem("url.path") as string == path);
            if (root is not null)
            {
                return [.. spans.Where(span => span.TraceId == root.TraceId)];
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"No server span for {path} among {Spans.Count} spans.");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        await _factory.DisposeAsync();
        Directory.Delete(_factory.StorageRoot, recursive: true);
        Source.Dispose();
    }
}

public sealed class TelemetryTests(TracedGatewayFixture fixture) : IClassFixture<TracedGatewayFixture>
{
    private const string SearchPath = $"/v1/catalogs/{TracedGatewayFixture.Catalog}/search";

    [Fact]
    public async Task PhotoSearch_IsOneTraceFromRequestThroughExtractorAndEveryShard()
    {
        var body = await (await fixture.Http.SearchByImageAsync(TracedGatewayFixture.Catalog, fixture.QueryImage, "k=3")).ReadSearchAsync();
        Assert.NotEmpty(body.Results);

        var trace = await fixture.TraceOfRequestAsync(SearchPath);

        var root = Assert.Single(trace, span => span.ParentSpanId == default);
        Assert.Equal(ActivityKind.Server, root.Kind);
        Assert.Equal("ok", root.GetTagItem(OutfitFinderTelemetry.Tags.Outcome));
        Assert.Single(trace, span => span.OperationName == OutfitFinderTelemetry.Spans.Decode);
        Assert.Single(trace, span => span.OperationName == OutfitFinderTelemetry.Spans.BatchWait);
        var modelRun = Assert.Single(trace, span => span.OperationName == OutfitFinderTelemetry.Spans.ModelRun);
        Assert.True((int)modelRun.GetTagItem(OutfitFinderTelemetry.Tags.BatchSize)! >= 1);
        var shards = trace.Where(span => span.OperationName == OutfitFinderTelemetry.Spans.ShardSearch).ToList();
        Assert.Equal(Enumerable.Range(0, TracedGatewayFixture.Shards), shards.Select(span => (int)span.GetTagItem(OutfitFinderTelemetry.Tags.Shard)!).Order());
        Assert.All(shards, span => Assert.Equal("scan", span.GetTagItem(OutfitFinderTelemetry.Tags.Index)));
        Assert.Equal(TracedGatewayFixture.ProductCount, shards.Sum(span => (int)span.GetTagItem(OutfitFinderTelemetry.Tags.Rows)!));
        Assert.Single(trace, span => span.OperationName == OutfitFinderTelemetry.Spans.Merge);
        // The shard and extractor spans sit under Orleans' grain-call spans: the trace crossed the grain boundary.
        Assert.All(shards.Append(modelRun), span => Assert.Contains(trace, parent => parent.SpanId == span.ParentSpanId));
        Assert.Contains(trace, span => span.Source.Name == Grains.Hosting.TelemetryExtensions.OrleansApplicationSource && span.DisplayName.Contains("ICatalogShardGrain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ingestion_TracesEachBatchAsATraceOfItsOwn_WithItsModelRunsAndShardWrites()
    {
        const string catalog = "traced-ingest";
        (await fixture.Http.CreateCatalogAsync(catalog, new { shards = 2 })).EnsureSuccessStatusCode();
        var manifest = fixture.Source.WriteCsv("catalog.csv");

        var started = await fixture.Http.PostAsJsonAsync($"/v1/catalogs/{catalog}/ingestions", new { source = "shop", manifest });
        var job = (await started.Content.ReadFromJsonAsync<StatusBody>(Api.Json))!;
        StatusBody status;
        do
        {
            await Task.Delay(100);
            status = (await fixture.Http.GetFromJsonAsync<StatusBody>($"/v1/catalogs/{catalog}/ingestions/{job.Id}", Api.Json))!;
        }
        while (status.State == "running");
        Assert.Equal("succeeded", status.State);

        var spans = fixture.Spans.Snapshot();
        var batches = spans.Where(span => span.OperationName == OutfitFinderTelemetry.Spans.IngestionBatch
            && span.GetTagItem(OutfitFinderTelemetry.Tags.Job) as string == job.Id).ToList();
        // 6 one-image products in batches of 4 images (Ingestion:BatchImages): two batches, each its own trace.
        Assert.Equal(2, batches.Count);
        Assert.Equal(6, batches.Sum(batch => (int)batch.GetTagItem(OutfitFinderTelemetry.Tags.Rows)!));
        Assert.All(batches, batch => Assert.Equal(default, batch.ParentSpanId));
        Assert.NotEqual(batches[0].TraceId, batches[1].TraceId);
        Assert.All(batches, batch => Assert.Single(batch.Links));
        Assert.Equal(6, spans.Count(span => span.OperationName == OutfitFinderTelemetry.Spans.ModelRun && batches.Any(batch => batch.TraceId == span.TraceId)));
        Assert.All(batches, batch => Assert.Contains(spans, span => span.TraceId == batch.TraceId
            && span.Source.Name == Grains.Hosting.TelemetryExtensions.OrleansApplicationSource
            && span.DisplayName.Contains("ICatalogShardGrain", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Metrics_ServesPrometheusTextWithTheSearchSeries_AfterASearch()
    {
        (await fixture.Http.SearchByImageAsync(TracedGatewayFixture.Catalog, fixture.QueryImage, "k=3")).EnsureSuccessStatusCode();
        (await fixture.Http.SearchByVectorAsync("no-such-catalog", [1f, 2f], k: 3)).Dispose();

        var response = await fixture.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True(Series(text, "outfitfinder_search_duration_seconds_count", $"outfitfinder_catalog=\"{TracedGatewayFixture.Catalog}\"", "outfitfinder_outcome=\"ok\"") >= 1);
        Assert.True(Series(text, "outfitfinder_search_duration_seconds_count", "outfitfinder_outcome=\"not_found\"") >= 1);
        Assert.True(Series(text, "outfitfinder_shard_search_duration_seconds_count", $"outfitfinder_catalog=\"{TracedGatewayFixture.Catalog}\"", "outfitfinder_index=\"scan\"") >= TracedGatewayFixture.Shards);
        Assert.Equal(TracedGatewayFixture.ProductCount, Series(text, "outfitfinder_shard_products", $"outfitfinder_catalog=\"{TracedGatewayFixture.Catalog}\""));
        Assert.True(Series(text, "outfitfinder_extractor_images_total") >= TracedGatewayFixture.ProductCount + 1);
        Assert.True(Series(text, "outfitfinder_shard_log_appends_total", $"outfitfinder_catalog=\"{TracedGatewayFixture.Catalog}\"") >= TracedGatewayFixture.ProductCount);
        // Orleans' meter runs under a cardinality limit of its own (TelemetryExtensions.FrameworkCardinalityLimit): still exported.
        Assert.Contains(text.Split('\n'), line => line.StartsWith("orleans_", StringComparison.Ordinal));
        // ASP.NET Core's own series is left to the dashboard test: see PrometheusSeries on why a scrape in a process
        // shared with other hosts may briefly lack it.
    }

    [Fact]
    public async Task Dashboard_IsNotServed_ByDefault()
    {
        var response = await fixture.Http.GetAsync("/admin/dashboard");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_ServesTheOrleansDashboard_UnderItsAdminPath_WhenEnabled()
    {
        await using var factory = new GatewayFactory(overrides: new Dictionary<string, string?> { ["Telemetry:Dashboard:Enabled"] = "true" });
        try
        {
            using var http = factory.CreateClient();

            var page = await http.GetAsync("/admin/dashboard/");
            var html = await page.Content.ReadAsStringAsync();

            page.EnsureSuccessStatusCode();
            Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Orleans", html, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(factory.StorageRoot, recursive: true);
        }
    }

    [Fact]
    public async Task GrafanaDashboard_QueriesOnlyMetricsTheCodeEmits()
    {
        // A search first, so that the fixture's host has created every instrument it creates on first use.
        (await fixture.Http.SearchByImageAsync(TracedGatewayFixture.Catalog, fixture.QueryImage, "k=3")).EnsureSuccessStatusCode();
        var dashboard = File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "compose", "grafana", "dashboards", "outfitfinder.json"));

        // Metric names only: label matchers ({…}) and groupings (by (…)) name labels, not series.
        var queries = Regex.Matches(dashboard, @"""expr"": ""(?<expr>(?:[^""\\]|\\.)*)""")
            .Select(match => Regex.Replace(Regex.Unescape(match.Groups["expr"].Value), @"\{[^}]*\}|\bby \([^)]*\)", " "));
        var queried = queries.SelectMany(query => Regex.Matches(query, @"\b(?:outfitfinder|http_server|orleans|dotnet)_[a-z0-9_]+\b"))
            .Select(match => match.Value).Distinct().ToList();
        var emitted = PrometheusSeries(OutfitFinderTelemetry.Name, "Microsoft.AspNetCore.Hosting", Grains.Hosting.TelemetryExtensions.OrleansMeter, "System.Runtime");

        Assert.Contains("outfitfinder_search_duration_seconds_bucket", queried);
        Assert.Contains("http_server_request_duration_seconds_count", emitted);
        var unknown = queried.Where(name => !emitted.Contains(name)).ToList();
        Assert.True(unknown.Count == 0, "the dashboard queries series nothing emits: " + string.Join(", ", unknown));
    }

    /// <summary>
    /// Every Prometheus series name the instruments of these meters can produce, as the exporter names them: dots
    /// and dashes become underscores, the unit adds a suffix (<c>s</c> <c>_seconds</c>, <c>ms</c>
    /// <c>_milliseconds</c>, <c>By</c> <c>_bytes</c>; an annotation such as <c>{image}</c> adds nothing), a
    /// counter ends in <c>_total</c>, and a histogram has <c>_bucket</c>, <c>_sum</c> and <c>_count</c>.
    /// </summary>
    /// <remarks>
    /// Read from the instruments alive in this process rather than from a scrape: hosts of other test classes
    /// share the process, and when one stops, the SDK drops the series its disposed meters fed (ASP.NET Core's and
    /// Orleans' meters are per host), so a scrape here may briefly lack series a lone host always serves.
    /// </remarks>
    private static HashSet<string> PrometheusSeries(params string[] meters)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(OutfitFinderTelemetry).TypeHandle);
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Core.Shards.CatalogShard).TypeHandle);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (!meters.Contains(instrument.Meter.Name))
                {
                    return;
                }

                var name = Regex.Replace(instrument.Name, "[^A-Za-z0-9_]", "_") + instrument.Unit switch
                {
                    "s" => "_seconds",
                    "ms" => "_milliseconds",
                    "By" => "_bytes",
                    _ => "",
                };
                var type = instrument.GetType().GetGenericTypeDefinition().Name;
                lock (names)
                {
                    if (type.StartsWith("Histogram", StringComparison.Ordinal))
                    {
                        names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                    }
                    else if (type.StartsWith("Counter", StringComparison.Ordinal) || type.StartsWith("ObservableCounter", StringComparison.Ordinal))
                    {
                        names.Add(name + "_total");
                    }
                    else
                    {
                        names.Add(name);
                    }
                }
            },
        };
        listener.Start();
        return names;
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

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Series(string exposition, string name, params string[] labels)
    {
        var samples = Regex.Matches(exposition, $@"^{Regex.Escape(name)}(?:\{{(?<labels>.*)\}})? (?<value>\S+)\r?$", RegexOptions.Multiline)
            .Where(match => labels.All(label => match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            .Select(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(samples.Count > 0, $"no {name} series with {string.Join(", ", labels)} in:\n{exposition}");
        return samples.Sum();
    }
}

/// <summary>
/// A list the in-memory exporter may add to from any thread while a test reads it: the exporter adds under a lock
/// of its own, which a reader cannot take.
/// </summary>
public sealed class SpanLog : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];

    public int Count
    {
        get
        {
            lock (_spans)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>A copy of the spans finished so far.</summary>
    public Activity[] Snapshot()
    {
        lock (_spans)
        {
            return [.. _spans];
        }
    }

    public void Add(Activity item)
    {
        lock (_spans)
        {
            _spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (_spans)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
