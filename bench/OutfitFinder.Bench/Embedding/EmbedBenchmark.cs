using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using OutfitFinder.Bench.Reporting;
using OutfitFinder.Core.Extraction;
using SkiaSharp;

namespace OutfitFinder.Bench.Embedding;

/// <summary>What <c>embed</c> measures and how long.</summary>
/// <param name="BatchSizes">Images per model call, one throughput measurement each.</param>
/// <param name="Repetitions">Timed repetitions per batch size; the median is reported.</param>
/// <param name="ImagesPerRepetition">Images embedded in one repetition (rounded up to whole batches).</param>
/// <param name="LatencySamples">Single-image requests timed on each path for the batcher's added latency.</param>
/// <param name="WarmUp">Single-image calls before the first measurement, so preprocessing runs as optimised code.</param>
/// <param name="Provider">Where the model runs.</param>
/// <param name="Photos">Folder of JPEG photos; null for the clothing photos beside the repository.</param>
internal sealed record EmbedSettings(
    IReadOnlyList<int> BatchSizes, int Repetitions, int ImagesPerRepetition, int LatencySamples, TimeSpan WarmUp,
    ExecutionProviderPreference Provider, DirectoryInfo? Photos);

/// <summary>ResNet18 throughput at one batch size; rates and times are medians over the repetitions.</summary>
internal sealed record EmbedThroughput(
    string Benchmark, string Case, string Provider, bool RealPhotos, int Batch, int Repetitions, int ImagesPerRepetition,
    double ImagesPerSecond, double MinImagesPerSecond, double MaxImagesPerSecond,
    double ModelImagesPerSecond, double ModelMsPerCall, double PreprocessMsPerImage);

/// <summary>One image embedded directly and through the batcher at no load; medians and p95 in ms.</summary>
internal sealed record BatcherLatency(
    string Benchmark, string Case, string Provider, bool RealPhotos, int Samples,
    double DirectMedianMs, double DirectP95Ms, double BatcherMedianMs, double BatcherP95Ms, double AddedMedianMs);

/// <summary>
/// <c>embed</c>: ResNet18 images per second at each batch size, split into preprocessing (resize,
/// crop, normalise; one thread) and the model call, and the latency the
/// <see cref="EmbeddingBatcher"/> adds to a lone request.
/// </summary>
internal static class EmbedBenchmark
{
    private const int WarmUpCalls = 2;

    public static async Task<int> RunAsync(EmbedSettings settings, Report report, CancellationToken cancellationToken)
    {
        report.Machine();
        using var photos = BenchPhotos.Load(settings.BatchSizes.Max(), settings.Photos, report.Output);

        // The batcher owns the embedder from here on. Until its first request its consumer loop only
        // waits, so the direct measurements below run on an otherwise idle model.
        var embedder = ResNet18Embedder.Create(new OnnxEmbedderOptions { ExecutionProvider = settings.Provider }, NullLogger<ResNet18Embedder>.Instance);
        await using var batcher = new EmbeddingBatcher(embedder, new EmbeddingBatcherOptions(), NullLogger<EmbeddingBatcher>.Instance);
        report.Line($"ResNet18 on {embedder.ExecutionProvider}, {Environment.ProcessorCount} logical CPUs; images: {photos.Source}.");
        report.Line(
            $"{settings.WarmUp.TotalSeconds:F0} s of single-image warm-up; then per batch size {WarmUpCalls} warm-up calls and {settings.Repetitions} "
            + $"repetitions of {settings.ImagesPerRepetition} images; "
            + "medians shown. Preprocessing runs on one thread here (the batcher spreads it over callers' threads).");
        report.Line();

        // Preprocessing is C#: its first code is unoptimised until tiered compilation replaces it.
        var warmUpStarted = Stopwatch.GetTimestamp();
        for (var i = 0; i < WarmUpCalls || Stopwatch.GetElapsedTime(warmUpStarted) < settings.WarmUp; i++)
        {
            embedder.Embed([photos.Images[i % photos.Images.Count]]);
        }

        var throughputs = new List<EmbedThroughput>();
        foreach (var batch in settings.BatchSizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throughputs.Add(MeasureBatch(embedder, photos, batch, settings));
        }

        var latency = await MeasureBatcherAsync(batcher, embedder, photos, settings.LatencySamples, cancellationToken);

        var baseline = throughputs[0].ImagesPerSecond;
        var table = new MarkdownTable(
            "batch", "images/s", $"vs batch {settings.BatchSizes[0]}", "min–max images/s", "model images/s", "model ms/call", "preprocess ms/image");
        foreach (var t in throughputs)
        {
            table.Add(
                t.Batch.ToString(CultureInfo.InvariantCulture), F1(t.ImagesPerSecond), $"{t.ImagesPerSecond / baseline:F2}×",
                $"{F1(t.MinImagesPerSecond)}–{F1(t.MaxImagesPerSecond)}", F1(t.ModelImagesPerSecond), F1(t.ModelMsPerCall), F2(t.PreprocessMsPerImage));
        }

        report.Table(table);
        report.Line();

        var latencyTable = new MarkdownTable("one image, no other load", "median ms", "p95 ms");
        latencyTable.Add("direct: Embed([image])", F2(latency.DirectMedianMs), F2(latency.DirectP95Ms));
        latencyTable.Add("through EmbeddingBatcher.EmbedAsync", F2(latency.BatcherMedianMs), F2(latency.BatcherP95Ms));
        latencyTable.Add("added by the batcher (median of paired differences)", F2(latency.AddedMedianMs), "");
        report.Table(latencyTable);
        report.Line();
        report.LoadAtEnd();
        report.Line();
        foreach (var t in throughputs)
        {
            report.Json(t);
        }

        report.Json(latency);
        return 0;
    }

    /// <summary>
    /// Times whole batches: preprocess <paramref name="batch"/> images into one buffer, then one
    /// model call. Each repetition sums both parts over its calls; rates are per repetition.
    /// </summary>
    private static EmbedThroughput MeasureBatch(IImageEmbedder embedder, BenchPhotos photos, int batch, EmbedSettings settings)
    {
        var inputLength = embedder.InputLength;
        var buffer = new float[batch * inputLength];
        var images = photos.Images;
        for (var call = 0; call < WarmUpCalls; call++)
        {
            Fill(embedder, images, call, batch, buffer);
            embedder.Run(buffer);
        }

        var calls = (settings.ImagesPerRepetition + batch - 1) / batch;
        var endToEnd = new List<double>(settings.Repetitions);
        var modelRates = new List<double>(settings.Repetitions);
        var modelMsPerCall = new List<double>(settings.Repetitions);
        var preprocessMsPerImage = new List<double>(settings.Repetitions);
        for (var repetition = 0; repetition < settings.Repetitions; repetition++)
        {
            long preprocessTicks = 0;
            long modelTicks = 0;
            for (var call = 0; call < calls; call++)
            {
                var started = Stopwatch.GetTimestamp();
                Fill(embedder, images, call, batch, buffer);
                var preprocessed = Stopwatch.GetTimestamp();
                embedder.Run(buffer);
                var finished = Stopwatch.GetTimestamp();
                preprocessTicks += preprocessed - started;
                modelTicks += finished - preprocessed;
            }

            var count = calls * batch;
            var preprocessSeconds = Seconds(preprocessTicks);
            var modelSeconds = Seconds(modelTicks);
            endToEnd.Add(count / (preprocessSeconds + modelSeconds));
            modelRates.Add(count / modelSeconds);
            modelMsPerCall.Add(modelSeconds * 1000 / calls);
            preprocessMsPerImage.Add(preprocessSeconds * 1000 / count);
        }

        return new EmbedThroughput(
            "embed", "throughput", embedder.ExecutionProvider, photos.Real, batch, settings.Repetitions, calls * batch,
            Report.Rate(Statistics.Median(endToEnd)), Report.Rate(endToEnd.Min()), Report.Rate(endToEnd.Max()),
            Report.Rate(Statistics.Median(modelRates)), Report.Ms(Statistics.Median(modelMsPerCall)), Report.Ms(Statistics.Median(preprocessMsPerImage)));
    }

    /// <summary>
    /// Alternates one direct call and one batcher request on the same image, swapping which goes
    /// first each time, so drift in the machine's load hits both paths alike; the added latency is
    /// the median of the per-pair differences.
    /// </summary>
    private static async Task<BatcherLatency> MeasureBatcherAsync(
        EmbeddingBatcher batcher, IImageEmbedder embedder, BenchPhotos photos, int samples, CancellationToken cancellationToken)
    {
        var images = photos.Images;
        for (var i = 0; i < WarmUpCalls; i++)
        {
            embedder.Embed([images[i % images.Count]]);
            await batcher.EmbedAsync(images[i % images.Count], cancellationToken);
        }

        var direct = new List<double>(samples);
        var batched = new List<double>(samples);
        var added = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var image = images[i % images.Count];
            double directMs, batcherMs;
            if (i % 2 == 0)
            {
                directMs = TimeDirect(embedder, image);
                batcherMs = await TimeBatcherAsync(batcher, image, cancellationToken);
            }
            else
            {
                batcherMs = await TimeBatcherAsync(batcher, image, cancellationToken);
                directMs = TimeDirect(embedder, image);
            }

            direct.Add(directMs);
            batched.Add(batcherMs);
            added.Add(batcherMs - directMs);
        }

        return new BatcherLatency(
            "embed", "batcher-latency", embedder.ExecutionProvider, photos.Real, samples,
            Report.Ms(Statistics.Median(direct)), Report.Ms(Statistics.Percentile(direct, 95)),
            Report.Ms(Statistics.Median(batched)), Report.Ms(Statistics.Percentile(batched, 95)),
            Report.Ms(Statistics.Median(added)));
    }

    private static double TimeDirect(IImageEmbedder embedder, SKBitmap image)
    {
        var started = Stopwatch.GetTimestamp();
        embedder.Embed([image]);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task<double> TimeBatcherAsync(EmbeddingBatcher batcher, SKBitmap image, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await batcher.EmbedAsync(image, cancellationToken);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Preprocesses the images of call number <paramref name="call"/> into <paramref name="buffer"/>, cycling through the photos.</summary>
    private static void Fill(IImageEmbedder embedder, IReadOnlyList<SKBitmap> images, int call, int batch, float[] buffer)
    {
        var inputLength = embedder.InputLength;
        for (var i = 0; i < batch; i++)
        {
            embedder.Preprocess(images[((call * batch) + i) % images.Count], buffer.AsSpan(i * inputLength, inputLength));
        }
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string F2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
