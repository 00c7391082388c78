using System.Net.Http.Json;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using OutfitFinder.Gateway.Tests;
using SkiaSharp;

namespace OutfitFinder.Browser.Tests;

/// <summary>
/// A real gateway process with a small catalog loaded through the API, an ingestion source folder,
/// and a headless system Chromium driven by Playwright. Shared by the tests of one class.
/// </summary>
/// <remarks>
/// Playwright's own browser download cannot work where the tests run, so the fixture points it at
/// Debian's <c>chromium</c> (installed by scripts/test.sh; <c>OUTFIT_CHROMIUM</c> names another
/// binary). Without one, outside CI, the tests skip and say why; in CI they fail.
/// </remarks>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Catalog = "browse";
    private const int ProductCount = 8;
    private string? _storage;

    public IngestionSourceFolder Source { get; } = new(ProductCount, seed: 5);

    public GatewayProcess Gateway { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Where screenshots of each step go: <c>OUTFIT_SCREENSHOTS</c>, or <c>screenshots/</c> beside the tests.</summary>
    public string Screenshots { get; } = Environment.GetEnvironmentVariable("OUTFIT_SCREENSHOTS") is { Length: > 0 } folder
        ? Path.GetFullPath(folder)
        : Path.Combine(AppContext.BaseDirectory, "screenshots");

    private IPlaywright? _playwright;

    public async Task InitializeAsync()
    {
        var chromium = FindChromium();
        if (chromium is null)
        {
            Unavailable = "No Chromium: install Debian's chromium (scripts/test.sh does) or set OUTFIT_CHROMIUM to a Chromium binary.";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                throw new InvalidOperationException(Unavailable + " CI does not skip the browser tests.");
            }

            return;
        }

        Directory.CreateDirectory(Screenshots);
        _storage = Directory.CreateTempSubdirectory("outfit-browser-").FullName;
        Gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>
        {
            ["Storage:Root"] = _storage,
            // The page is served from the repository's wwwroot, the files a developer edits.
            ["webroot"] = Path.Combine(RepositoryRoot(), "src", "Gateway", "wwwroot"),
            ["Ingestion:Sources:shop:Kind"] = "Folder",
            ["Ingestion:Sources:shop:Path"] = Source.Root,
            ["Ingestion:CheckpointInterval"] = "00:00:00.2",
            ["Ingestion:BatchImages"] = "2",
        });
        await LoadCatalogAsync();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in a container has no user namespace for Chromium's sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A page on the gateway at <paramref name="width"/> × <paramref name="height"/>, failing the test on any script error.</summary>
    public async Task<(IPage Page, List<string> Errors)> OpenAsync(int width = 1280, int height = 900, bool mobile = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Gateway.Address.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = mobile,
            HasTouch = mobile,
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync("/");
        return (page, errors);
    }

    public Task ScreenshotAsync(IPage page, string step) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"page-{step}.png"), FullPage = true });

    /// <summary>Two products' shop images side by side on one photo (each 160 × 160): left, right.</summary>
    public byte[] TwoGarmentPhoto(int left, int right)
    {
        using var photo = new SKBitmap(320, 160);
        using (var canvas = new SKCanvas(photo))
        {
            canvas.Clear(SKColors.White);
            using var a = SKBitmap.Decode(Source.Images[Source.Products[left].ProductId]);
            using var b = SKBitmap.Decode(Source.Images[Source.Products[right].ProductId]);
            canvas.DrawBitmap(a, 0, 0);
            canvas.DrawBitmap(b, 160, 0);
        }

        return GarmentImages.Encode(photo, SKEncodedImageFormat.Jpeg);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        Source.Dispose();
        if (_storage is not null)
        {
            Directory.Delete(_storage, recursive: true);
        }
    }

    private async Task LoadCatalogAsync()
    {
        (await Gateway.Http.PutAsJsonAsync($"/v1/catalogs/{Catalog}", new { shards = 2 })).EnsureSuccessStatusCode();
        var n = 0;
        foreach (var (productId, spec) in Source.Products)
        {
            var image = new ByteArrayContent(Source.Images[productId]);
            image.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            var form = new MultipartFormDataContent
            {
                { image, "image", productId + ".jpg" },
                { new StringContent(spec.Category), "category" },
                { new StringContent($$"""{"price": {{20 + n++}}.5, "colour": "{{spec.Colour}}"}"""), "metadata" },
            };
            var response = await Gateway.Http.PutAsync($"/v1/catalogs/{Catalog}/products/{productId}", form);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    private static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("OUTFIT_CHROMIUM") is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
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
