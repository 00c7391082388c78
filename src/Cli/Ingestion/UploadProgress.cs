using System.Globalization;
using Spectre.Console;

namespace OutfitFinder.Cli.Ingestion;

/// <summary>Drives a live Spectre.Console progress bar; for terminals.</summary>
internal sealed class LiveUploadProgress(ProgressTask task, int total) : IUploadProgress
{
    public static string Describe(int done, int failed, int total) =>
        string.Create(CultureInfo.InvariantCulture, $"Uploading {done}/{total} products")
        + (failed > 0 ? string.Create(CultureInfo.InvariantCulture, $", [red]{failed} failed[/]") : "");

    public void Report(int done, int failed)
    {
        task.Description = Describe(done, failed, total);
        task.Value = done;
    }
}

/// <summary>
/// Writes a plain line about every 5% of the products (and at the end), for logs and pipes where a
/// redrawn bar would be noise: "Uploaded 40/200 products, 1 failed".
/// </summary>
internal sealed class PlainUploadProgress(IAnsiConsole console, int total) : IUploadProgress
{
    private readonly int _step = Math.Max(1, (total + 19) / 20);

    public void Report(int done, int failed)
    {
        if (done % _step == 0 || done == total)
        {
            var failures = failed > 0 ? string.Create(CultureInfo.InvariantCulture, $", {failed} failed") : "";
            console.Profile.Out.Writer.WriteLine(
                string.Create(CultureInfo.InvariantCulture, $"Uploaded {done}/{total} products{failures}"));
        }
    }
}
