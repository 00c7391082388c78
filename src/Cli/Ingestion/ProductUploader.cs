using OutfitFinder.Cli.Http;
using OutfitFinder.Core.Ingestion;

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
/// <param name="client">The gateway.</param>
/// <param name="catalog">Catalog to upload into.</param>
/// <param name="parallelism">Products uploaded at once.</param>
/// <param name="dimension">The catalog's vector length: vector files are read for it (a file of another length fails its product).</param>
internal sealed class ProductUploader(GatewayClient client, string catalog, int parallelism, int dimension = 0)
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
                if (!product.Upload.GivesVectors)
                {
                    Finish(await client.PutProductAsync(catalog, product.Upload, token), null);
                }
                else if (await ReadVectorsAsync(product.Upload, token) is { Problem: { } problem })
                {
                    Finish(null, new UploadFailure(product, problem));
                }
                else
                {
                    Finish(await client.PutProductVectorsAsync(catalog, product.Upload.ProductId, new ProductVectorsBody(
                        [.. product.Upload.Vectors!.Select(vector => vector!)], product.Upload.Category,
                        product.Upload.Metadata.Count == 0 ? null : product.Upload.Metadata), token), null);
                }
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

    /// <summary>Fills in the vectors of rows that name a file (in place), or says why one cannot be read.</summary>
    private async Task<(bool Read, string? Problem)> ReadVectorsAsync(ProductUpload upload, CancellationToken cancellationToken)
    {
        var vectors = (float[]?[])upload.Vectors!;
        for (var i = 0; i < vectors.Length; i++)
        {
            if (upload.VectorFiles?[i] is not { } file)
            {
                continue;
            }

            await using var stream = File.OpenRead(file.Path);
            var (reader, problem) = await VectorFile.OpenAsync(stream, file.Path, dimension, cancellationToken);
            if (reader is null)
            {
                return (false, problem);
            }

            (vectors[i], problem) = await reader.ReadAsync(file.Row, cancellationToken);
            if (problem is not null)
            {
                return (false, problem);
            }
        }

        return (true, null);
    }
}
