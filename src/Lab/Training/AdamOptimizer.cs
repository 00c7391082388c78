namespace OutfitFinder.Lab.Training;

/// <summary>
/// Adam (Kingma and Ba, 2015) over one flat parameter vector, written out here because the head has
/// a single layer: a dozen lines are easier to trust and keep deterministic than a training
/// framework dependency.
/// </summary>
internal sealed class AdamOptimizer(int parameterCount, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly float[] _firstMoment = new float[parameterCount];
    private readonly float[] _secondMoment = new float[parameterCount];
    private int _step;

    /// <summary>Moves <paramref name="parameters"/> one step against <paramref name="gradient"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _step++;
        var correction1 = 1 - MathF.Pow(beta1, _step);
        var correction2 = 1 - MathF.Pow(beta2, _step);
        for (var i = 0; i < parameters.Length; i++)
        {
            var g = gradient[i];
            _firstMoment[i] = (beta1 * _firstMoment[i]) + ((1 - beta1) * g);
            _secondMoment[i] = (beta2 * _secondMoment[i]) + ((1 - beta2) * g * g);
            var mean = _firstMoment[i] / correction1;
            var variance = _secondMoment[i] / correction2;
            parameters[i] -= learningRate * mean / (MathF.Sqrt(variance) + epsilon);
        }
    }
}
