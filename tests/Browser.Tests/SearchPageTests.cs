using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OutfitFinder.Browser.Tests;

/// <summary>The search page as a person uses it, in a real browser against a real gateway.</summary>
public sealed class SearchPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private string ProductId(int index) => fixture.Source.Products[index].ProductId;

    private async Task<(IPage Page, List<string> Errors)> OpenOnCatalogAsync(int width = 1280, int height = 900, bool mobile = false)
    {
        Skip.If(fixture.Unavailable is not null, fixture.Unavailable);
        var (page, errors) = await fixture.OpenAsync(width, height, mobile);
        var picker = page.Locator("#catalog");
        await Expect(picker.Locator($"option[value='{BrowserFixture.Catalog}']")).ToHaveCountAsync(1);
        await picker.SelectOptionAsync(BrowserFixture.Catalog);
        await Expect(page.Locator("#catalog-facts")).ToContainTextAsync("resnet18-rmac-street, cosine, 2 shards");
        return (page, errors);
    }

    private static Task UploadAsync(IPage page, byte[] photo) =>
        page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "photo.jpg", MimeType = "image/jpeg", Buffer = photo });

    /// <summary>Result cards; the placeholders shown while a search runs have no product id.</summary>
    private static ILocator Hits(IPage page) => page.Locator("#results .hit[data-product-id]");

    private static ILocator FirstHit(IPage page) => Hits(page).First;

    [SkippableFact]
    public async Task DroppedPhoto_ShowsTheProductFirst_WithScoreCategoryAndMetadata()
    {
        var (page, errors) = await OpenOnCatalogAsync();
        var photo = fixture.Source.Images[ProductId(3)];

        var dataTransfer = await page.EvaluateHandleAsync("""
            base64 => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], 'street.jpg', { type: 'image/jpeg' }));
              return transfer;
            }
            """, Convert.ToBase64String(photo));
        await page.Locator("#drop").DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = dataTransfer });

        await Expect(FirstHit(page)).ToHaveAttributeAsync("data-product-id", ProductId(3));
        await Expect(FirstHit(page).Locator(".category")).ToHaveTextAsync(fixture.Source.Products[3].Spec.Category);
        await Expect(FirstHit(page).Locator(".meta")).ToContainTextAsync("price: 23.5");
        await Expect(page.Locator("#status")).ToContainTextAsync("8 results");
        await Expect(FirstHit(page).Locator("img")).ToHaveJSPropertyAsync("complete", true);
        await fixture.ScreenshotAsync(page, "desktop");
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task DrawnBox_SearchesOnlyTheBoxedGarment()
    {
        var (page, errors) = await OpenOnCatalogAsync();
        await UploadAsync(page, fixture.TwoGarmentPhoto(1, 6));
        await Expect(Hits(page)).Not.ToHaveCountAsync(0);

        // Drag over the right half of the photo, as a person would with a mouse.
        var photo = (await page.Locator("#photo").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(photo.X + (photo.Width * 0.52f), photo.Y + 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(photo.X + photo.Width - 2, photo.Y + photo.Height - 2, new MouseMoveOptions { Steps = 8 });
        await page.Mouse.UpAsync();

        await Expect(page.Locator("#box")).ToBeVisibleAsync();
        await Expect(page.Locator("#box-text")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"^1[6-9]\d,\d+,1\d\d,1\d\d$"));
        await Expect(FirstHit(page)).ToHaveAttributeAsync("data-product-id", ProductId(6));
        await fixture.ScreenshotAsync(page, "box");

        // The same photo boxed on the left finds the other garment.
        await page.Locator("#box-text").FillAsync("0,0,160,160");
        await page.Locator("#box-text").PressAsync("Enter");
        await Expect(FirstHit(page)).ToHaveAttributeAsync("data-product-id", ProductId(1));
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task Result_OpensTheProduct_AndSearchesWithItsImage()
    {
        var (page, errors) = await OpenOnCatalogAsync();
        await UploadAsync(page, fixture.TwoGarmentPhoto(2, 5));
        await Expect(Hits(page)).Not.ToHaveCountAsync(0);
        var second = Hits(page).Nth(1);
        var productId = (await second.GetAttributeAsync("data-product-id"))!;

        // Keyboard: focus the card and press Enter.
        await second.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        var dialog = page.Locator("#product");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Locator("#product-title")).ToHaveTextAsync(productId);
        await Expect(page.Locator("#product-images img")).ToHaveCountAsync(1);
        await Expect(page.Locator("#product-metadata")).ToContainTextAsync("colour");
        await fixture.ScreenshotAsync(page, "product");

        await page.Locator("#search-with").ClickAsync();
        await Expect(dialog).Not.ToBeVisibleAsync();
        await Expect(FirstHit(page)).ToHaveAttributeAsync("data-product-id", productId);
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task BadBox_ShowsTheApisProblemDetails()
    {
        var (page, errors) = await OpenOnCatalogAsync();
        await UploadAsync(page, fixture.TwoGarmentPhoto(0, 1));
        await Expect(Hits(page)).Not.ToHaveCountAsync(0);

        await page.Locator("#box-text").FillAsync("100,0,400,160");
        await page.Locator("#box-text").PressAsync("Enter");

        var problem = page.Locator("#problem");
        await Expect(problem).ToBeVisibleAsync();
        await Expect(page.Locator("#problem-title")).ToHaveTextAsync("Invalid box");
        await Expect(page.Locator("#problem-detail")).ToContainTextAsync("the upright image is 320×160");
        await Expect(page.Locator("#problem-status")).ToHaveTextAsync("(400)");
        await fixture.ScreenshotAsync(page, "error");
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task CatalogView_FollowsAnIngestionJobToItsEnd_AndListsItsFailures()
    {
        // A catalog of its own, so the other tests' catalog keeps its metadata.
        Skip.If(fixture.Unavailable is not null, fixture.Unavailable);
        (await fixture.Gateway.Http.PutAsJsonAsync("/v1/catalogs/spring", new { shards = 2 })).EnsureSuccessStatusCode();
        var manifest = fixture.Source.WriteCsv("spring.csv", "ghost,images/missing.jpg,Dress,Plain");
        var started = await fixture.Gateway.Http.PostAsJsonAsync("/v1/catalogs/spring/ingestions", new { source = "shop", manifest, id = "spring-1" });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var (page, errors) = await fixture.OpenAsync();
        await Expect(page.Locator("#catalog option[value='spring']")).ToHaveCountAsync(1);
        await page.Locator("#catalog").SelectOptionAsync("spring");

        await page.Locator("#tab-catalog").ClickAsync();

        var job = page.Locator("#jobs .job[data-job-id='spring-1']");
        await Expect(job).ToHaveAttributeAsync("data-state", "completedWithErrors");
        await Expect(job.Locator(".job-facts")).ToContainTextAsync("9 / 9 rows · 8 stored · 1 failed");
        await job.Locator("summary").ClickAsync();
        await Expect(job.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(job.Locator("tbody")).ToContainTextAsync("ghost");
        await Expect(page.Locator("#catalog-counts")).ToContainTextAsync("Products");
        await Expect(page.Locator("#sample .hit")).ToHaveCountAsync(8);
        await fixture.ScreenshotAsync(page, "catalog");
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task Phone_ShowsTwoResultColumns_WithoutSidewaysScrolling()
    {
        var (page, errors) = await OpenOnCatalogAsync(390, 844, mobile: true);
        await Expect(page.Locator("#camera")).ToHaveAttributeAsync("capture", "environment");
        await UploadAsync(page, fixture.Source.Images[ProductId(4)]);

        await Expect(FirstHit(page)).ToHaveAttributeAsync("data-product-id", ProductId(4));
        var columns = await page.Locator("#results").EvaluateAsync<string>("el => getComputedStyle(el).gridTemplateColumns");
        Assert.Equal(2, columns.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page scrolls sideways by {overflow}px on a phone");
        await fixture.ScreenshotAsync(page, "phone");
        Assert.Empty(errors);
    }
}
