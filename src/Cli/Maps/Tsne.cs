namespace OutfitFinder.Cli.Maps;

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton, 2008): places n high-dimensional points in the plane so
/// that points near each other stay near. O(n²) time and memory per iteration, fine for the few
/// thousand products of an embedding map. Deterministic for a seed: the random start depends only
/// on it, and every sum runs in a fixed order.
/// </summary>
/// <remarks>
/// The optimisation follows the reference implementation: perplexity-calibrated Gaussian
/// affinities, symmetrised; Student-t similarities in 2-D; gradient descent with momentum 0.5 then
/// 0.8, per-coordinate adaptive gains, and early exaggeration ×12 for the first 250 iterations.
/// </remarks>
internal static class Tsne
{
    private const int ExaggerationIterations = 250;
    private const double Exaggeration = 12;

    /// <summary>Settings of one run.</summary>
    /// <param name="Perplexity">Effective number of neighbours, usually 5–50; must be less than n.</param>
    /// <param name="Iterations">Gradient steps; 1000 is the customary default.</param>
    /// <param name="Seed">Chooses the random start.</param>
    internal sealed record Options(double Perplexity = 30, int Iterations = 1000, int Seed = 1);

    /// <summary>
    /// Embeds <paramref name="distances"/> (squared pairwise distances, n × n, symmetric, zero
    /// diagonal) in two dimensions. Returns n × 2 coordinates, centred on the origin.
    /// </summary>
    public static double[,] Embed(double[,] distances, Options options)
    {
        var n = distances.GetLength(0);
        if (n != distances.GetLength(1))
        {
            throw new ArgumentException("The distance matrix must be square.", nameof(distances));
        }

        if (n < 2)
        {
            return new double[n, 2];
        }

        if (options.Perplexity <= 0 || options.Perplexity >= n)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Perplexity, $"Perplexity must be above 0 and below the number of points ({n}).");
        }

        var p = JointProbabilities(distances, options.Perplexity);
        var random = new Random(options.Seed);
        var y = new double[n, 2];
        for (var i = 0; i < n; i++)
        {
            y[i, 0] = Gaussian(random) * 1e-4;
            y[i, 1] = Gaussian(random) * 1e-4;
        }

        var update = new double[n, 2];
        var gains = new double[n, 2];
        for (var i = 0; i < n; i++)
        {
            gains[i, 0] = gains[i, 1] = 1;
        }

        // The learning rate scikit-learn calls "auto" (Belkina et al., 2019): a fixed 200 overshoots on small maps.
        var learningRate = Math.Max(n / Exaggeration / 4, 50);
        var gradient = new double[n, 2];
        var rowSums = new double[n];
        var num = new double[n * n];
        for (var iteration = 0; iteration < options.Iterations; iteration++)
        {
            var exaggeration = iteration < ExaggerationIterations ? Exaggeration : 1;
            var momentum = iteration < ExaggerationIterations ? 0.5 : 0.8;

            // Student-t kernel between every pair of map points; rows in parallel, each row's sum
            // in order, then the rows summed in order: the same result on any number of cores.
            Parallel.For(0, n, i =>
            {
                double sum = 0;
                for (var j = 0; j < n; j++)
                {
                    if (i == j)
                    {
                        num[(i * n) + j] = 0;
                        continue;
                    }

                    double dx = y[i, 0] - y[j, 0], dy = y[i, 1] - y[j, 1];
                    var q = 1 / (1 + (dx * dx) + (dy * dy));
                    num[(i * n) + j] = q;
                    sum += q;
                }

                rowSums[i] = sum;
            });
            double z = 0;
            for (var i = 0; i < n; i++)
            {
                z += rowSums[i];
            }

            Parallel.For(0, n, i =>
            {
                double gx = 0, gy = 0;
                for (var j = 0; j < n; j++)
                {
                    var q = num[(i * n) + j];
                    var force = ((exaggeration * p[(i * n) + j]) - Math.Max(q / z, 1e-12)) * q;
                    gx += force * (y[i, 0] - y[j, 0]);
                    gy += force * (y[i, 1] - y[j, 1]);
                }

                gradient[i, 0] = 4 * gx;
                gradient[i, 1] = 4 * gy;
            });

            for (var i = 0; i < n; i++)
            {
                for (var d = 0; d < 2; d++)
                {
                    // Gains grow where the gradient keeps changing sign against the last step, shrink where it agrees.
                    gains[i, d] = Math.Sign(gradient[i, d]) != Math.Sign(update[i, d]) ? gains[i, d] + 0.2 : Math.Max(gains[i, d] * 0.8, 0.01);
                    update[i, d] = (momentum * update[i, d]) - (learningRate * gains[i, d] * gradient[i, d]);
                    y[i, d] += update[i, d];
                }
            }

            Centre(y);
        }

        return y;
    }

    /// <summary>
    /// Squared distances between the rows of <paramref name="points"/>: Euclidean, or Manhattan when
    /// <paramref name="manhattan"/> is set (for catalogs that rank by L1).
    /// </summary>
    public static double[,] SquaredDistances(IReadOnlyList<float[]> points, bool manhattan = false)
    {
        var n = points.Count;
        var distances = new double[n, n];
        Parallel.For(0, n, i =>
        {
            for (var j = i + 1; j < n; j++)
            {
                double sum = 0;
                var (a, b) = (points[i], points[j]);
                for (var d = 0; d < a.Length; d++)
                {
                    double diff = a[d] - b[d];
                    sum += manhattan ? Math.Abs(diff) : diff * diff;
                }

                sum = manhattan ? sum * sum : sum;

                distances[i, j] = sum;
                distances[j, i] = sum;
            }
        });
        return distances;
    }

    /// <summary>
    /// p_ij = (p_j|i + p_i|j) / 2n, where p_j|i is a Gaussian around i whose width is found by
    /// bisection so that the distribution's perplexity is the one asked for.
    /// </summary>
    private static double[] JointProbabilities(double[,] distances, double perplexity)
    {
        var n = distances.GetLength(0);
        var conditional = new double[n * n];
        var targetEntropy = Math.Log(perplexity);

        // Distances are measured in units of their mean, so the bisection starts near the answer
        // whatever the embedding's scale (a 1,860-d histogram or a unit vector).
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                total += distances[i, j];
            }
        }

        var scale = total > 0 ? n * (n - 1) / total : 1;
        Parallel.For(0, n, i =>
        {
            double beta = 1, low = double.NegativeInfinity, high = double.PositiveInfinity;
            var row = new double[n];
            for (var attempt = 0; attempt < 100; attempt++)
            {
                double sum = 0, weighted = 0;
                for (var j = 0; j < n; j++)
                {
                    var distance = distances[i, j] * scale;
                    row[j] = i == j ? 0 : Math.Exp(-distance * beta);
                    sum += row[j];
                    weighted += distance * row[j];
                }

                sum = Math.Max(sum, double.Epsilon);
                var entropy = Math.Log(sum) + (beta * weighted / sum);
                for (var j = 0; j < n; j++)
                {
                    row[j] /= sum;
                }

                var error = entropy - targetEntropy;
                if (Math.Abs(error) < 1e-5)
                {
                    break;
                }

                if (error > 0)
                {
                    low = beta;
                    beta = double.IsPositiveInfinity(high) ? beta * 2 : (beta + high) / 2;
                }
                else
                {
                    high = beta;
                    beta = double.IsNegativeInfinity(low) ? beta / 2 : (beta + low) / 2;
                }
            }

            Array.Copy(row, 0, conditional, i * n, n);
        });

        var joint = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                joint[(i * n) + j] = Math.Max((conditional[(i * n) + j] + conditional[(j * n) + i]) / (2 * n), 1e-12);
            }
        }

        return joint;
    }

    private static void Centre(double[,] y)
    {
        var n = y.GetLength(0);
        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += y[i, 0];
            my += y[i, 1];
        }

        (mx, my) = (mx / n, my / n);
        for (var i = 0; i < n; i++)
        {
            y[i, 0] -= mx;
            y[i, 1] -= my;
        }
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
