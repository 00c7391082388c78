using OutfitFinder.Cli.Http;

namespace OutfitFinder.Cli.Ingestion;

/// <summary>A product whose upload failed, and why (with the HTTP status when there was one).</summary>
internal sealed record UploadFailure(PlannedProduct Product, string Reason);

/// <summary>Outcome of uploading a plan's products. <see cref="Failures"/> are in manifest order.</summary>
internal sealed record UploadReport(int Created, int Replaced, IReadOnlyList<UploadFailure> Failures);

/// <summary>Told about each finished product, one call at a time, with running totals.</summary>
internal interface IUploadProgress
{
    void Report(int done, int failed);
}

/// <summary>
/// Uploads products concurrently, at most <paramref name="parallelism"/> at a time. A product that
/// fails is recorded and the run goes on; an unreachable gateway stops the run, since every further
/// upload would fail the same way.
/// </summary>
internal sealed class ProductUploader(GatewayClient client, string catalog, int parallelism)
{
    public async Task<UploadReport> UploadAsync(
        IReadOnlyList<PlannedProduct> products, IUploadProgress progress, CancellationToken cancellationToken)
    {
        var gate = new Lock();
        int created = 0, replaced = 0, done = 0;
        var failures = new List<UploadFailure>();

        void Finish(PutOutcome? outcome, UploadFailure? failure)
        {
            lock (gate)
            {
                created += outcome == PutOutcome.Created ? 1 : 0;
                replaced += outcome == PutOutcome.Existed ? 1 : 0;
                if (failure is not null)
                {
                    failures.Add(failure);
                }

                done++;
                progress.Report(done, failures.Count);
            }
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(products, options, async (product, token) =>
        {
            try
            {
                Finish(await client.PutProductAsync(catalog, product.Upload, token), null);
            }
            catch (GatewayException ex)
            {
                Finish(null, new UploadFailure(product, ex.Describe()));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An image that vanished or became unreadable since the manifest was checked.
                Finish(null, new UploadFailure(product, ex.Message));
            }
        });

        return new UploadReport(created, replaced, [.. failures.OrderBy(f => f.Product.Rows[0])]);
    }
}
