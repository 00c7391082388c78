using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OutfitFinder.Core.Ingestion;
using OutfitFinder.Core.Search;
using OutfitFinder.Core.Storage;
using OutfitFinder.Core.Telemetry;
using OutfitFinder.Grains.Catalog;

namespace OutfitFinder.Grains.Ingestion;

/// <summary>
/// One pass of a job over its manifest, from its checkpoint to the end: a reader streams products
/// into a bounded queue; batches of about <see cref="IngestionOptions.BatchImages"/> images are
/// downloaded in parallel, embedded in one extractor call and stored shard by shard in one batched
/// upsert each, several batches at once; finished batches are counted into the checkpoint in manifest order.
/// </summary>
/// <remarks>
/// Backpressure is the queue's bound plus the cap on batches in flight: when the extractors are
/// slow the reader waits, so memory holds at most <c>ReadAheadProducts</c> products plus the batches
/// in flight, whatever the manifest's size. A product is stored whole or not at all: one bad row
/// (missing or corrupt image, conflicting category) leaves its product out and its other rows are
/// counted as skipped, because storing a subset would replace the product with fewer images.
/// </remarks>
public sealed partial class IngestionRun
{
    private const int Attempts = 3;
    private const int MaxCategoryLength = 128;

    private readonly IngestionCheckpoint _checkpoint;
    private readonly CatalogDefinition _catalog;
    private readonly IBlobStore _source;
    private readonly IBlobStore _store;
    private readonly IIngestionTarget _target;
    private readonly IngestionOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _checkpointWrites = new(1, 1);
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, BatchOutcome> _finished = [];
    private readonly long _maxImageBytes;
    private readonly Stopwatch _elapsed = new();
    private long _nextToCommit;
    private long _imagesStored;
    private long _rowsRead;
    private DateTimeOffset _lastCheckpoint = DateTimeOffset.MinValue;
    private bool _cancelledByUser;
    private Exception? _failure;

    public IngestionRun(
        IngestionCheckpoint checkpoint, CatalogDefinition catalog, IBlobStore source, IBlobStore store, IIngestionTarget target,
        IngestionOptions options, ILogger logger, long maxImageBytes = long.MaxValue)
    {
        this._maxImageBytes = maxImageBytes;
        this._checkpoint = checkpoint;
        this._catalog = catalog;
        this._source = source;
        this._store = store;
        this._target = target;
        this._options = options;
        this._logger = logger;
    }

    /// <summary>Rows the reader has taken from the manifest so far (for observing backpressure).</summary>
    public long RowsRead => Interlocked.Read(ref _rowsRead);

    /// <summary>Stops the run; the job ends as cancelled. Products already stored stay.</summary>
    public void Cancel()
    {
        _cancelledByUser = true;
        _stop.Cancel();
    }

    /// <summary>Stops the run without ending the job (its silo is stopping): it stays running and resumes elsewhere.</summary>
    public void Suspend() => _stop.Cancel();

    /// <summary>The job's progress now, with the rate of this run.</summary>
    public IngestionStatus Status()
    {
        lock (_gate)
        {
            return StatusOf(_checkpoint, ImagesPerSecond());
        }
    }

    public static IngestionStatus StatusOf(IngestionCheckpoint checkpoint, double imagesPerSecond)
    {
        var done = checkpoint.Succeeded + checkpoint.Failed + checkpoint.Skipped;
        double? eta = checkpoint is { IsRunning: true, Total: { } total } && imagesPerSecond > 0
            ? Math.Max(0, total - done) / imagesPerSecond
            : checkpoint.IsRunning ? null : 0;
        return new IngestionStatus(checkpoint.Id, checkpoint.Catalog, checkpoint.Source, checkpoint.Manifest, checkpoint.State,
            checkpoint.Total, checkpoint.Succeeded, checkpoint.Failed, checkpoint.Skipped, Math.Round(imagesPerSecond, 2),
            eta is { } seconds ? Math.Round(seconds, 1) : null, [.. checkpoint.Failures], checkpoint.FailuresNotListed,
            checkpoint.Resumes, checkpoint.Error, checkpoint.CreatedAt, checkpoint.UpdatedAt);
    }

    /// <summary>Runs to the end of the manifest, a cancel, a suspend or a failure; the checkpoint says which.</summary>
    public async Task RunAsync()
    {
        _elapsed.Start();
        var cancellationToken = _stop.Token;
        LogRunStarting(_checkpoint.Catalog, _checkpoint.Id, _checkpoint.Manifest, _checkpoint.RowsDone);
        try
        {
            var counting = _checkpoint.Total is null ? CountRowsAsync(cancellationToken) : Task.CompletedTask;
            await IngestAsync(cancellationToken);
            await counting;
            FinishAtEnd();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && _failure is null)
        {
            if (_cancelledByUser)
            {
                Finish(IngestionState.Cancelled, null);
            }
        }
        catch (Exception e)
        {
            Fail(_failure ?? e);
        }

        await WriteCheckpointAsync(force: true);
        if (!_checkpoint.IsRunning)
        {
            await _store.DeleteAsync(IngestionPaths.RunningMarker(_checkpoint.Catalog, _checkpoint.Id), CancellationToken.None);
        }

        LogRunEnded(_checkpoint.Catalog, _checkpoint.Id, _checkpoint.State, _checkpoint.Succeeded, _checkpoint.Failed, _checkpoint.Skipped,
            _elapsed.Elapsed.TotalSeconds);
    }

    private void Fail(Exception e)
    {
        if (e is ManifestException or IngestionFailedException)
        {
            Finish(IngestionState.Failed, e.Message);
            return;
        }

        LogRunFailed(e, _checkpoint.Catalog, _checkpoint.Id);
        Finish(IngestionState.Failed, $"The job stopped on an unexpected error: {e.Message}");
    }

    /// <summary>
    /// The end of the manifest: succeeded only when nothing went wrong. A job that stored nothing
    /// failed, whatever it read, so that a manifest pointing at the wrong folder does not pass as done.
    /// </summary>
    private void FinishAtEnd()
    {
        var (stored, bad) = (_checkpoint.Succeeded, _checkpoint.Failed + _checkpoint.Skipped);
        if (bad == 0)
        {
            Finish(IngestionState.Succeeded, null);
        }
        else if (stored == 0)
        {
            Finish(IngestionState.Failed, string.Create(CultureInfo.InvariantCulture,
                $"No row was stored: {_checkpoint.Failed} failed and {_checkpoint.Skipped} were skipped. The failures say why."));
        }
        else
        {
            Finish(IngestionState.CompletedWithErrors, null);
        }
    }

    private void Finish(IngestionState state, string? error)
    {
        lock (_gate)
        {
            _checkpoint.State = state;
            _checkpoint.Error = error;
        }
    }

    private async Task IngestAsync(CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<ManifestGroup>(new BoundedChannelOptions(_options.ReadAheadProducts)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var reading = Task.Run(() => ReadAsync(queue.Writer, cancellationToken), cancellationToken);

        using var inFlight = new SemaphoreSlim(_options.BatchesInFlight);
        var batches = new List<Task>();
        var batch = new List<ManifestGroup>();
        var (images, vectors) = (0, 0);
        long sequence = 0;
        await foreach (var group in queue.Reader.ReadAllAsync(cancellationToken))
        {
            batch.Add(group);
            if (group.IsIngestible && group.Product!.HasVectors)
            {
                vectors += group.Product.Rows.Count;
            }
            else if (group.IsIngestible)
            {
                images += group.Product!.Images.Count;
            }

            if (images >= _options.BatchImages || vectors >= _options.BatchVectors)
            {
                await DispatchAsync(batch, sequence++);
                (batch, images, vectors) = ([], 0, 0);
            }
        }

        await reading;
        if (batch.Count > 0)
        {
            await DispatchAsync(batch, sequence);
        }

        await Task.WhenAll(batches);

        async Task DispatchAsync(List<ManifestGroup> groups, long number)
        {
            await inFlight.WaitAsync(cancellationToken);
            batches.RemoveAll(task => task.IsCompletedSuccessfully);
            batches.Add(Task.Run(async () =>
            {
                try
                {
                    var outcome = await ProcessAsync(groups, cancellationToken);
                    await CommitAsync(number, outcome);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    // One batch that cannot finish stops the others: the checkpoint never passes it.
                    Interlocked.CompareExchange(ref _failure, e, null);
                    await _stop.CancelAsync();
                    throw;
                }
                finally
                {
                    inFlight.Release();
                }
            }, cancellationToken));
        }
    }

    private async Task ReadAsync(ChannelWriter<ManifestGroup> queue, CancellationToken cancellationToken)
    {
        try
        {
            using var manifest = await OpenManifestAsync(_source, _checkpoint.Manifest, cancellationToken);
            foreach (var group in ManifestGroups.Read(manifest.ReadRows(), _checkpoint.RowsDone))
            {
                Interlocked.Add(ref _rowsRead, group.RowCount);
                await queue.WriteAsync(group, cancellationToken);
            }

            queue.Complete();
        }
        catch (Exception e)
        {
            // The batches drain what was read; the reader's own task carries the exception.
            if (e is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }

            queue.Complete();
            throw;
        }
    }

    private async Task CountRowsAsync(CancellationToken cancellationToken)
    {
        // A second, cheap pass over the manifest so progress can show a total and an ETA; it runs
        // beside the ingestion and never holds more than one row.
        var total = await Task.Run(async () =>
        {
            using var manifest = await OpenManifestAsync(_source, _checkpoint.Manifest, cancellationToken);
            long rows = 0;
            foreach (var _ in manifest.ReadRows())
            {
                cancellationToken.ThrowIfCancellationRequested();
                rows++;
            }

            return rows;
        }, cancellationToken);
        lock (_gate)
        {
            _checkpoint.Total = total;
        }
    }

    /// <summary>Opens a manifest inside a source; image paths in it are relative to its folder there.</summary>
    /// <exception cref="ManifestException">The manifest is missing or its header is unusable.</exception>
    public static async Task<IManifestReader> OpenManifestAsync(IBlobStore source, string manifest, CancellationToken cancellationToken)
    {
        var stream = await source.OpenReadAsync(manifest, cancellationToken)
            ?? throw new ManifestException($"The manifest '{manifest}' does not exist in the source.");
        var text = new StreamReader(stream, Encoding.UTF8);
        try
        {
            var slash = manifest.LastIndexOf('/');
            return Manifests.Open(text, manifest, ManifestImages.InSource(slash < 0 ? "" : manifest[..slash]));
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>One batch as a trace of its own, timed and counted by outcome once it is done.</summary>
    /// <remarks>
    /// The run inherits the trace of the call that started the job; a job of an hour would make that one trace of
    /// thousands of spans long after its request ended. So each batch starts a new trace, linked to the starting one.
    /// Clearing <see cref="Activity.Current"/> here affects only this method's own flow.
    /// </remarks>
    private async Task<BatchOutcome> ProcessAsync(List<ManifestGroup> groups, CancellationToken cancellationToken)
    {
        var started = Activity.Current?.Context;
        Activity.Current = null;
        using var activity = OutfitFinderTelemetry.Source.StartActivity(OutfitFinderTelemetry.Spans.IngestionBatch, ActivityKind.Internal,
            parentContext: default, links: started is { } link ? [new ActivityLink(link)] : null);
        activity?.SetTag(OutfitFinderTelemetry.Tags.Catalog, _checkpoint.Catalog);
        activity?.SetTag(OutfitFinderTelemetry.Tags.Job, _checkpoint.Id);
        var startedAt = Stopwatch.GetTimestamp();
        var catalog = new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Catalog, _checkpoint.Catalog);
        BatchOutcome outcome;
        try
        {
            outcome = await ProcessBatchAsync(groups, cancellationToken);
        }
        catch (Exception exception)
        {
            activity.RecordFailure(exception);
            throw;
        }

        OutfitFinderTelemetry.IngestionBatchDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, catalog);
        var (stored, failed, skipped) = (0, 0, 0);
        foreach (var (group, wasStored) in outcome.Groups)
        {
            failed += group.Failures.Count;
            var goodRows = group.RowCount - group.Failures.Count;
            stored += wasStored ? goodRows : 0;
            skipped += wasStored ? 0 : goodRows;
        }

        CountRows(catalog, "stored", stored);
        CountRows(catalog, "failed", failed);
        CountRows(catalog, "skipped", skipped);
        activity?.SetTag(OutfitFinderTelemetry.Tags.Rows, stored + failed + skipped);
        return outcome;

        static void CountRows(KeyValuePair<string, object?> catalog, string outcome, int rows)
        {
            if (rows > 0)
            {
                OutfitFinderTelemetry.IngestionRows.Add(rows, catalog, new KeyValuePair<string, object?>(OutfitFinderTelemetry.Tags.Outcome, outcome));
            }
        }
    }

    private async Task<BatchOutcome> ProcessBatchAsync(List<ManifestGroup> groups, CancellationToken cancellationToken)
    {
        var work = new List<ProductWork>();
        var outcome = new BatchOutcome();
        foreach (var group in groups)
        {
            if (!group.IsIngestible)
            {
                outcome.Add(group, stored: false);
                continue;
            }

            var product = group.Product!;
            var invalid = Validate(product) ?? ValidateVectors(product);
            if (invalid is not null)
            {
                outcome.Add(group with { Failures = [new RowFailure(product.Rows[0], product.ProductId, null, invalid)] }, stored: false);
                continue;
            }

            work.Add(new ProductWork(group, product));
        }

        // Products given as vectors made elsewhere skip the download and the model; their vector files are read instead.
        await DownloadAsync(work.Where(item => !item.Product.HasVectors).ToList(), cancellationToken);
        await ReadVectorFilesAsync(work.Where(item => item.Product.HasVectors).ToList(), cancellationToken);
        await EmbedAsync(work.Where(item => item.Failures.Count == 0 && !item.Product.HasVectors).ToList(), cancellationToken);
        foreach (var item in work.Where(item => item.Product.HasVectors && item.Failures.Count == 0))
        {
            item.Vectors = [.. item.RowVectors.SelectMany(vector => vector!)];
        }

        var ready = work.Where(item => item.Failures.Count == 0).ToList();
        await StoreAsync(ready, cancellationToken);
        foreach (var item in work)
        {
            outcome.Add(item.Failures.Count == 0 ? item.Group : item.Group with { Failures = item.Failures }, stored: item.Failures.Count == 0);
        }

        return outcome;
    }

    private static string? Validate(ManifestProduct product)
    {
        var bytes = Encoding.UTF8.GetByteCount(product.ProductId);
        if (bytes > ProductIdPathSegment.MaxProductIdUtf8Bytes)
        {
            return $"the product id is {bytes} bytes in UTF-8; the limit is {ProductIdPathSegment.MaxProductIdUtf8Bytes}";
        }

        if (product.ProductId.Any(char.IsControl))
        {
            return "the product id contains control characters";
        }

        return product.Category is { Length: > MaxCategoryLength } category
            ? $"the category is {category.Length} characters; the limit is {MaxCategoryLength}"
            : null;
    }

    /// <summary>
    /// Why a product's vectors made elsewhere cannot be stored (a length other than the catalog's dimension), or why a
    /// product of images cannot go into a vectors-only catalog; null when neither applies.
    /// </summary>
    private string? ValidateVectors(ManifestProduct product)
    {
        if (!product.HasVectors)
        {
            return _catalog.IsVectorsOnly
                ? $"catalog '{_catalog.Name}' holds vectors only (model '{CatalogDefinition.VectorsOnlyModel}'); give a '{ManifestRow.VectorColumn}' on every row"
                : null;
        }

        // Vectors in files are checked as they are read (VectorFile knows the file's layout only then).
        var wrong = product.Vectors.Select((vector, index) => (vector, index))
            .FirstOrDefault(pair => pair.vector is not null && pair.vector.Length != _catalog.Dimension);
        return wrong.vector is null
            ? null
            : $"the vector of row {product.Rows[wrong.index]} has {wrong.vector.Length} values; catalog '{_catalog.Name}' uses dimension {_catalog.Dimension}";
    }

    /// <summary>
    /// Reads the vector files of products given as vectors: each file is opened once per batch and its rows read in
    /// ascending order, so a file of a million rows read by a million manifest rows costs one open per batch and
    /// forward reads (an Azure Blob stream fetches ahead). A file that is missing, of another dimension or truncated
    /// fails every row naming it; a row out of range or holding a value that is not finite fails alone.
    /// </summary>
    private async Task ReadVectorFilesAsync(List<ProductWork> work, CancellationToken cancellationToken)
    {
        var reads = work.SelectMany(item => item.Product.VectorFiles.Select((file, index) => (item, file, index)))
            .Where(read => read.file is not null)
            .GroupBy(read => read.file!.Path, StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            reads,
            new ParallelOptions { MaxDegreeOfParallelism = _options.DownloadParallelism, CancellationToken = cancellationToken },
            async (file, token) =>
            {
                var rows = file.OrderBy(read => read.file!.Row ?? 0).ToList();
                var results = await RetryAsync(() => ReadVectorFileAsync(file.Key, [.. rows.Select(read => read.file!.Row)], token),
                    $"reading vector file '{file.Key}'", token);
                for (var i = 0; i < rows.Count; i++)
                {
                    var (item, _, index) = rows[i];
                    if (results[i].Problem is { } problem)
                    {
                        item.Fail(index, problem);
                    }
                    else
                    {
                        item.RowVectors[index] = results[i].Vector;
                    }
                }
            });
    }

    /// <summary>Each wanted row's vector or the reason it cannot be had; an I/O failure throws, so the read is retried.</summary>
    private async Task<(float[]? Vector, string? Problem)[]> ReadVectorFileAsync(string path, IReadOnlyList<long?> rows, CancellationToken cancellationToken)
    {
        await using var stream = await _source.OpenReadAsync(path, cancellationToken);
        if (stream is null)
        {
            return [.. rows.Select(_ => ((float[]?)null, (string?)$"vector file '{path}' not found in source '{_checkpoint.Source}'"))];
        }

        var (file, problem) = await VectorFile.OpenAsync(stream, path, _catalog.Dimension, cancellationToken);
        if (file is null)
        {
            return [.. rows.Select(_ => ((float[]?)null, problem))];
        }

        var results = new (float[]? Vector, string? Problem)[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            results[i] = await file.ReadAsync(rows[i], cancellationToken);
        }

        return results;
    }

    private async Task DownloadAsync(List<ProductWork> work, CancellationToken cancellationToken)
    {
        var downloads = work.SelectMany(item => item.Product.Images.Select((image, index) => (item, image, index)));
        await Parallel.ForEachAsync(
            downloads,
            new ParallelOptions { MaxDegreeOfParallelism = _options.DownloadParallelism, CancellationToken = cancellationToken },
            async (download, token) =>
            {
                var (bytes, problem) = await RetryAsync(() => ReadImageAsync(download.image, token), $"reading image '{download.image}'", token);
                if (problem is not null)
                {
                    download.item.Fail(download.index, problem);
                }
                else
                {
                    download.item.Images[download.index] = bytes;
                }
            });
    }

    /// <summary>The image's bytes, or why the row is bad; an image over the size limit is never read whole.</summary>
    private async Task<(byte[]? Bytes, string? Problem)> ReadImageAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = await _source.OpenReadAsync(path, cancellationToken);
        if (stream is null)
        {
            return (null, $"image '{path}' not found in source '{_checkpoint.Source}'");
        }

        if (stream.Length > _maxImageBytes)
        {
            return (null, $"image '{path}' is {stream.Length:N0} bytes; the limit is {_maxImageBytes:N0} (Images:MaxBytes)");
        }

        var bytes = new byte[stream.Length];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return (bytes, null);
    }

    private async Task EmbedAsync(List<ProductWork> work, CancellationToken cancellationToken)
    {
        if (work.Count == 0)
        {
            return;
        }

        var images = work.SelectMany(item => item.Images).ToArray();
        var result = await RetryAsync(() => _target.EmbedAsync(_catalog.Model, images!, cancellationToken), "embedding a batch", cancellationToken);
        var vectors = PackedVectors.Unpack(result.Vectors);
        var owners = work.SelectMany(item => item.Images.Select((_, index) => (item, index))).ToArray();
        foreach (var failure in result.Failures)
        {
            var (item, index) = owners[failure.Index];
            item.Fail(index, $"image rejected: {failure.Message}");
        }

        var offset = 0;
        foreach (var item in work)
        {
            var length = item.Images.Length * result.Dimension;
            item.Vectors = vectors.AsSpan(offset, length).ToArray();
            offset += length;
        }
    }

    private async Task StoreAsync(List<ProductWork> ready, CancellationToken cancellationToken)
    {
        // Images first, then the shards, as a single PUT does: once a shard counts a product, its images are readable.
        await Parallel.ForEachAsync(
            ready.Where(item => !item.Product.HasVectors),
            new ParallelOptions { MaxDegreeOfParallelism = _options.DownloadParallelism, CancellationToken = cancellationToken },
            async (item, token) => await RetryAsync(
                async () =>
                {
                    await _target.SaveImagesAsync(_checkpoint.Catalog, item.Product.ProductId, item.Images!, token);
                    return true;
                },
                $"storing the images of product '{item.Product.ProductId}'",
                token));

        var shards = ready.GroupBy(item => ShardRouter.ShardOf(item.Product.ProductId, _catalog.Shards));
        await Task.WhenAll(shards.Select(shard => RetryAsync(
            async () =>
            {
                await _target.UpsertAsync(_checkpoint.Catalog, shard.Key, [.. shard.Select(ToUpsert)], cancellationToken);
                return true;
            },
            $"storing {shard.Count()} products in shard {shard.Key}",
            cancellationToken)));
        Interlocked.Add(ref _imagesStored, ready.Sum(item => item.Images.Length));
    }

    private static ProductUpsert ToUpsert(ProductWork item)
    {
        var metadata = item.Product.Metadata();
        return new ProductUpsert(item.Product.ProductId, item.Product.Category,
            metadata.Count == 0 ? null : JsonSerializer.Serialize(metadata), item.Images.Length, PackedVectors.Pack(item.Vectors));
    }

    /// <summary>
    /// Retries a step that failed for a reason that may pass (a storage hiccup, a silo restarting);
    /// when it keeps failing the job fails with the step named, and its checkpoint lets it resume.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> step, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await step();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= Attempts || e is ArgumentException)
                {
                    throw new IngestionFailedException($"The job stopped while {what}: {e.Message}", e);
                }

                LogStepRetried(e, _checkpoint.Catalog, _checkpoint.Id, what, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt * attempt), cancellationToken);
            }
        }
    }

    private async Task CommitAsync(long number, BatchOutcome outcome)
    {
        lock (_gate)
        {
            _finished.Add(number, outcome);
            while (_finished.Remove(_nextToCommit, out var next))
            {
                foreach (var (group, stored) in next.Groups)
                {
                    _checkpoint.Count(group, stored, _options.ListedFailures);
                }

                _nextToCommit++;
            }
        }

        await WriteCheckpointAsync(force: false);
    }

    private async Task WriteCheckpointAsync(bool force)
    {
        if (!force && DateTimeOffset.UtcNow - _lastCheckpoint < _options.CheckpointInterval)
        {
            return;
        }

        await _checkpointWrites.WaitAsync();
        try
        {
            byte[] json;
            lock (_gate)
            {
                _checkpoint.UpdatedAt = DateTimeOffset.UtcNow;
                _lastCheckpoint = _checkpoint.UpdatedAt;
                json = _checkpoint.ToJson();
            }

            // Not cancellable: a checkpoint is small, and one cut short would lose the progress it records.
            await _store.WriteAsync(IngestionPaths.Job(_checkpoint.Catalog, _checkpoint.Id), json, CancellationToken.None);
        }
        finally
        {
            _checkpointWrites.Release();
        }
    }

    private double ImagesPerSecond()
    {
        var seconds = _elapsed.Elapsed.TotalSeconds;
        return seconds < 0.5 ? 0 : Interlocked.Read(ref _imagesStored) / seconds;
    }

    private sealed class ProductWork(ManifestGroup group, ManifestProduct product)
    {
        public ManifestGroup Group { get; } = group;

        public ManifestProduct Product { get; } = product;

        public byte[]?[] Images { get; } = new byte[product.Images.Count][];

        public float[] Vectors { get; set; } = [];

        /// <summary>Each row's vector made elsewhere: given inline at first, read from its file later.</summary>
        public float[]?[] RowVectors { get; } = [.. product.Vectors];

        public List<RowFailure> Failures { get; } = [];

        public void Fail(int image, string reason)
        {
            lock (Failures)
            {
                Failures.Add(new RowFailure(Product.Rows[image], Product.ProductId, Product.Source(image), reason));
                Failures.Sort((a, b) => a.Row.CompareTo(b.Row));
            }
        }
    }

    private sealed class BatchOutcome
    {
        public List<(ManifestGroup Group, bool Stored)> Groups { get; } = [];

        public void Add(ManifestGroup group, bool stored) => Groups.Add((group, stored));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {Catalog}/{JobId} of '{Manifest}' starting after row {RowsDone}")]
    private partial void LogRunStarting(string catalog, string jobId, string manifest, int rowsDone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingestion {Catalog}/{JobId} ended {State}: {Succeeded} rows stored, {Failed} failed, {Skipped} skipped in {Seconds:F1} s")]
    private partial void LogRunEnded(string catalog, string jobId, IngestionState state, long succeeded, long failed, long skipped, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion {Catalog}/{JobId}: {Step} failed (attempt {Attempt}); retrying")]
    private partial void LogStepRetried(Exception exception, string catalog, string jobId, string step, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingestion {Catalog}/{JobId} failed")]
    private partial void LogRunFailed(Exception exception, string catalog, string jobId);
}

/// <summary>A step of a job kept failing; the message names it.</summary>
public sealed class IngestionFailedException(string message, Exception inner) : Exception(message, inner);
