using OutfitFinder.Core.Extraction;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace OutfitFinder.FineTune;

/// <summary>
/// The last residual blocks of the shipped ResNet18 rebuilt in TorchSharp from the graph's own
/// initializers, followed by the R-MAC pooling that <c>resnet18-rmac</c> ships: given the cached
/// input of the first of these blocks, it computes what the edited ONNX graph and
/// <see cref="FeatureMapPooling"/> compute, but with gradients.
/// </summary>
/// <remarks>
/// Batch normalisation stays in inference mode (the graph's running mean and variance, unchanged):
/// batches of a few dozen cached maps are too small to re-estimate them, and frozen statistics keep
/// the write-back to the graph a plain replacement of the convolution weights and the
/// normalisation scales and biases (<see cref="ResidualBlockGraph.TrainedInitializers"/>).
/// </remarks>
internal sealed class LastBlocksNetwork : IDisposable
{
    private readonly IReadOnlyList<ResidualBlockGraph> _blocks;
    private readonly Dictionary<string, Parameter> _trained = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _frozen = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<(int Top, int Left, int Side)> _regions;

    public LastBlocksNetwork(ReadOnlySpan<byte> model, IReadOnlyList<ResidualBlockGraph> blocks, int mapSide)
    {
        _blocks = blocks;
        _regions = FeatureMapPooling.RmacRegions(mapSide, mapSide);
        foreach (var block in blocks)
        {
            foreach (var name in block.TrainedInitializers())
            {
                var (shape, values) = OnnxModelProto.ReadFloatInitializer(model, name);
                _trained[name] = new Parameter(tensor(values, shape), requires_grad: true);
            }

            foreach (var norm in Norms(block))
            {
                _frozen[norm.Mean] = Load(model, norm.Mean);
                _frozen[norm.Variance] = Load(model, norm.Variance);
            }
        }
    }

    /// <summary>Channels of the blocks' input.</summary>
    public long InputChannels => _trained[_blocks[0].Convolution1.Weight].shape[1];

    /// <summary>The parameters the optimiser changes.</summary>
    public IEnumerable<Parameter> Parameters => _trained.Values;

    /// <summary>The blocks' output map [N,C,H,W] (non-negative, after the last ReLU) for their input [N,C',H',W'].</summary>
    public Tensor FeatureMap(Tensor input)
    {
        var x = input;
        foreach (var block in _blocks)
        {
            var branch = nn.functional.relu(Norm(Convolve(x, block.Convolution1), block.Normalisation1));
            branch = Norm(Convolve(branch, block.Convolution2), block.Normalisation2);
            var shortcut = block.Shortcut is { } s ? Norm(Convolve(x, s.Convolution), s.Normalisation) : x;
            x = nn.functional.relu(branch + shortcut);
        }

        return x;
    }

    /// <summary>
    /// R-MAC of <paramref name="map"/> [N,C,H,W] → [N,C], L2-normalised: the same 14 regions and
    /// the same per-region normalisation as <see cref="FeatureMapPooling"/>.
    /// </summary>
    public Tensor Rmac(Tensor map)
    {
        Tensor? sum = null;
        foreach (var (top, left, side) in _regions)
        {
            var region = map.narrow(2, top, side).narrow(3, left, side).amax([2, 3]);
            var unit = nn.functional.normalize(region, dim: 1);
            sum = sum is null ? unit : sum + unit;
        }

        return nn.functional.normalize(sum!, dim: 1);
    }

    /// <summary>Embedding of cached block inputs: <see cref="Rmac"/> of <see cref="FeatureMap"/>.</summary>
    public Tensor Embed(Tensor input) => Rmac(FeatureMap(input));

    /// <summary>The trained initializers' current values, by initializer name, for <see cref="OnnxModelProto.WithFloatInitializers"/>.</summary>
    public Dictionary<string, float[]> Weights() =>
        _trained.ToDictionary(pair => pair.Key, pair => pair.Value.detach().contiguous().data<float>().ToArray(), StringComparer.Ordinal);

    /// <summary>Overwrites the trained parameters with <paramref name="weights"/> (for example the best epoch's).</summary>
    public void Load(IReadOnlyDictionary<string, float[]> weights)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in _trained)
        {
            parameter.copy_(tensor(weights[name], parameter.shape));
        }
    }

    public void Dispose()
    {
        foreach (var tensor in _trained.Values.Concat<Tensor>(_frozen.Values))
        {
            tensor.Dispose();
        }
    }

    private Tensor Convolve(Tensor x, ConvolutionNode conv)
    {
        // ONNX pads are (top, left, bottom, right); the CNTK export pads its stride-2 convolutions
        // asymmetrically (1, 1, 0, 0), so padding is applied explicitly, exactly as written.
        var (top, left, bottom, right) = (conv.Pads[0], conv.Pads[1], conv.Pads[2], conv.Pads[3]);
        if (top == bottom && left == right)
        {
            return nn.functional.conv2d(x, _trained[conv.Weight], strides: [conv.Stride, conv.Stride], padding: [top, left]);
        }

        var padded = nn.functional.pad(x, [left, right, top, bottom]);
        return nn.functional.conv2d(padded, _trained[conv.Weight], strides: [conv.Stride, conv.Stride]);
    }

    private Tensor Norm(Tensor x, NormalisationNode norm) =>
        nn.functional.batch_norm(x, _frozen[norm.Mean], _frozen[norm.Variance], _trained[norm.Scale], _trained[norm.Bias], training: false, eps: norm.Epsilon);

    private static IEnumerable<NormalisationNode> Norms(ResidualBlockGraph block)
    {
        yield return block.Normalisation1;
        yield return block.Normalisation2;
        if (block.Shortcut is { } shortcut)
        {
            yield return shortcut.Normalisation;
        }
    }

    private static Tensor Load(ReadOnlySpan<byte> model, string name)
    {
        var (shape, values) = OnnxModelProto.ReadFloatInitializer(model, name);
        return tensor(values, shape);
    }
}
