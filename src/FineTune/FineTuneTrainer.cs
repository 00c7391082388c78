using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace OutfitFinder.FineTune;

/// <summary>A product in cached form: the row of its shop photo and, per consumer photo, the rows of its crops.</summary>
internal sealed record CachedProduct(int ShopRow, int[][] ViewRows);

/// <summary>How the last blocks are trained.</summary>
internal sealed record FineTuneSettings(int Epochs, int Patience, int BatchProducts, double LearningRate, double WeightDecay, double Temperature, int Seed);

/// <summary>Retrieval of the validation products at one point of training (max fusion over each view's crops).</summary>
internal sealed record ValidationScore(int Epoch, double Loss, double Top1, double Top20, double Mrr, TimeSpan Elapsed);

/// <summary>
/// Trains <see cref="LastBlocksNetwork"/> on cached block inputs with an InfoNCE loss: in a batch
/// of products, each consumer view must be closer to its own shop photo than to the other
/// products' shop photos. A view with several crops is represented by the crop nearest its shop
/// photo, chosen without gradients: the "max" fusion the served search applies to the same crops.
/// Validation after every epoch (and before the first) keeps the best weights; training stops
/// after <see cref="FineTuneSettings.Patience"/> epochs without a better validation MRR@20.
/// </summary>
internal sealed class FineTuneTrainer(LastBlocksNetwork network, BlockInputCache cache, FineTuneSettings settings, Action<string> log)
{
    private const int EvaluationBatch = 64;

    public (Dictionary<string, float[]> BestWeights, IReadOnlyList<ValidationScore> History) Train(
        IReadOnlyList<CachedProduct> training, IReadOnlyList<CachedProduct> validation, CancellationToken cancellationToken)
    {
        torch.manual_seed(settings.Seed);
        var random = new Random(settings.Seed);
        using var optimizer = optim.Adam(network.Parameters, lr: settings.LearningRate, weight_decay: settings.WeightDecay);
        var started = Stopwatch.GetTimestamp();
        var history = new List<ValidationScore>();
        var best = Validate(validation, 0, double.NaN, started);
        history.Add(best);
        log(Describe(best));
        var bestWeights = network.Weights();
        var order = training.ToArray();
        for (var epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            random.Shuffle(order);
            var lossSum = 0.0;
            var steps = 0;
            foreach (var batch in order.Chunk(settings.BatchProducts).Where(b => b.Length > 1))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var views = batch.Select(p => p.ViewRows[random.Next(p.ViewRows.Length)]).ToArray();
                var shop = network.Embed(Rows(batch.Select(p => p.ShopRow).ToArray()));
                var chosen = ChooseCrops(views, shop);
                var query = network.Embed(Rows(chosen));
                var logits = query.mm(shop.t()) / settings.Temperature;
                var loss = nn.functional.cross_entropy(logits, arange(batch.Length, dtype: ScalarType.Int64));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>();
                steps++;
            }

            var score = Validate(validation, epoch, lossSum / Math.Max(1, steps), started);
            history.Add(score);
            log(Describe(score));
            if (score.Mrr > best.Mrr)
            {
                best = score;
                bestWeights = network.Weights();
            }
            else if (epoch - best.Epoch >= settings.Patience)
            {
                log($"no better validation MRR for {settings.Patience} epochs: stopping; best epoch {best.Epoch}");
                break;
            }
        }

        return (bestWeights, history);
    }

    /// <summary>Embeds every cached row (no gradients), in batches.</summary>
    public float[][] EmbedRows(IReadOnlyList<int> rows)
    {
        using var _ = no_grad();
        var result = new float[rows.Count][];
        for (var start = 0; start < rows.Count; start += EvaluationBatch)
        {
            using var scope = NewDisposeScope();
            var chunk = rows.Skip(start).Take(EvaluationBatch).ToArray();
            var embedded = network.Embed(Rows(chunk)).contiguous().data<float>().ToArray();
            var dimension = embedded.Length / chunk.Length;
            for (var i = 0; i < chunk.Length; i++)
            {
                result[start + i] = embedded.AsSpan(i * dimension, dimension).ToArray();
            }
        }

        return result;
    }

    private int[] ChooseCrops(int[][] views, Tensor shop)
    {
        if (views.All(v => v.Length == 1))
        {
            return [.. views.Select(v => v[0])];
        }

        using var _ = no_grad();
        var all = views.SelectMany(v => v).ToArray();
        var embedded = network.Embed(Rows(all));
        var target = shop.detach();
        var chosen = new int[views.Length];
        var offset = 0;
        for (var i = 0; i < views.Length; i++)
        {
            var crops = embedded.narrow(0, offset, views[i].Length);
            var similarity = crops.mv(target[i]);
            chosen[i] = views[i][(int)similarity.argmax().item<long>()];
            offset += views[i].Length;
        }

        return chosen;
    }

    private ValidationScore Validate(IReadOnlyList<CachedProduct> products, int epoch, double loss, long started)
    {
        var gallery = EmbedRows([.. products.Select(p => p.ShopRow)]);
        var queries = products.SelectMany((p, index) => p.ViewRows.Select(rows => (Rows: rows, Truth: index))).ToArray();
        var crops = EmbedRows([.. queries.SelectMany(q => q.Rows)]);
        var ranks = new int[queries.Length];
        var offset = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var count = queries[q].Rows.Length;
            var scores = new float[gallery.Length];
            for (var g = 0; g < gallery.Length; g++)
            {
                var best = float.MinValue;
                for (var c = 0; c < count; c++)
                {
                    best = Math.Max(best, Dot(crops[offset + c], gallery[g]));
                }

                scores[g] = best;
            }

            var truth = scores[queries[q].Truth];
            ranks[q] = 1 + scores.Where((s, g) => s > truth || (s == truth && g < queries[q].Truth)).Count();
            offset += count;
        }

        return new ValidationScore(
            epoch,
            loss,
            ranks.Count(r => r == 1) / (double)ranks.Length,
            ranks.Count(r => r <= 20) / (double)ranks.Length,
            ranks.Sum(r => r <= 20 ? 1.0 / r : 0) / ranks.Length,
            Stopwatch.GetElapsedTime(started));
    }

    private Tensor Rows(int[] rows)
    {
        var length = cache.Length;
        var buffer = new Half[rows.Length * length];
        for (var i = 0; i < rows.Length; i++)
        {
            cache.Values.AsSpan(rows[i] * length, length).CopyTo(buffer.AsSpan(i * length, length));
        }

        return tensor(buffer, [rows.Length, cache.Shape[0], cache.Shape[1], cache.Shape[2]]).to_type(ScalarType.Float32);
    }

    private static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static string Describe(ValidationScore s) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"epoch {s.Epoch}: train loss {s.Loss:F3}, validation top-1 {s.Top1:P1}, top-20 {s.Top20:P1}, MRR@20 {s.Mrr:F3} ({s.Elapsed.TotalMinutes:F1} min)");
}
