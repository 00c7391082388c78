using OutfitFinder.Core.Extraction;

namespace OutfitFinder.FineTune;

/// <summary>A convolution of the graph: its weight initializer, shape, stride and pads (top, left, bottom, right).</summary>
internal sealed record ConvolutionNode(string Weight, long[] Shape, int Stride, int[] Pads);

/// <summary>A batch normalisation of the graph: the names of its scale, bias, mean and variance initializers, and its epsilon.</summary>
internal sealed record NormalisationNode(string Scale, string Bias, string Mean, string Variance, float Epsilon);

/// <summary>
/// One residual block of a ResNet graph: <c>Relu(bn2(conv2(Relu(bn1(conv1(x))))) + shortcut(x))</c>,
/// where the shortcut is <c>x</c> or <c>bn(conv1x1(x))</c> when the block changes shape.
/// </summary>
internal sealed record ResidualBlockGraph(
    string Input,
    string Output,
    ConvolutionNode Convolution1,
    NormalisationNode Normalisation1,
    ConvolutionNode Convolution2,
    NormalisationNode Normalisation2,
    (ConvolutionNode Convolution, NormalisationNode Normalisation)? Shortcut)
{
    /// <summary>Every initializer that training changes: convolution weights and normalisation scales and biases (running statistics stay).</summary>
    public IEnumerable<string> TrainedInitializers()
    {
        yield return Convolution1.Weight;
        yield return Normalisation1.Scale;
        yield return Normalisation1.Bias;
        yield return Convolution2.Weight;
        yield return Normalisation2.Scale;
        yield return Normalisation2.Bias;
        if (Shortcut is { } shortcut)
        {
            yield return shortcut.Convolution.Weight;
            yield return shortcut.Normalisation.Scale;
            yield return shortcut.Normalisation.Bias;
        }
    }

    /// <summary>
    /// The last <paramref name="count"/> residual blocks before the graph's final <c>AveragePool</c>,
    /// first block first. For the shipped ResNet18 (a CNTK export whose last stage has three
    /// blocks, with BatchNormalization nodes kept apart from the convolutions) the last block reads
    /// the [N,512,7,7] tensor <c>ReLU379_Output_0</c> and writes <c>ReLU393_Output_0</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">The graph does not end in that shape of residual blocks.</exception>
    public static IReadOnlyList<ResidualBlockGraph> LastBlocks(ReadOnlySpan<byte> model, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var nodes = OnnxModelProto.ReadNodes(model);
        var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (var output in node.Outputs)
            {
                producers[output] = node;
            }
        }

        var pool = nodes.LastOrDefault(node => node.OpType == "AveragePool")
            ?? throw new InvalidDataException("The graph has no AveragePool node: not a ResNet whose last blocks can be found.");
        var tensor = pool.Inputs[0];
        var blocks = new List<ResidualBlockGraph>();
        for (var i = 0; i < count; i++)
        {
            var block = BlockEndingAt(tensor, producers, model);
            blocks.Insert(0, block);
            tensor = block.Input;
        }

        return blocks;
    }

    private static ResidualBlockGraph BlockEndingAt(string output, Dictionary<string, OnnxNode> producers, ReadOnlySpan<byte> model)
    {
        var relu = Producer(output, "Relu");
        var add = Producer(relu.Inputs[0], "Add");
        if (add.Inputs.Count != 2)
        {
            throw Unexpected(add.Outputs[0], "an Add of two tensors");
        }

        // The branch is the input reached through bn ← conv ← relu ← bn ← conv; the other is the shortcut.
        var branchIndex = IsBranch(add.Inputs[0]) ? 0 : IsBranch(add.Inputs[1]) ? 1 : throw Unexpected(add.Outputs[0], "an Add with a conv-bn-relu-conv-bn branch");
        var bn2 = Producer(add.Inputs[branchIndex], "BatchNormalization");
        var conv2 = Producer(bn2.Inputs[0], "Conv");
        var relu1 = Producer(conv2.Inputs[0], "Relu");
        var bn1 = Producer(relu1.Inputs[0], "BatchNormalization");
        var conv1 = Producer(bn1.Inputs[0], "Conv");
        var input = conv1.Inputs[0];

        var shortcutTensor = add.Inputs[1 - branchIndex];
        (ConvolutionNode, NormalisationNode)? shortcut = null;
        if (shortcutTensor != input)
        {
            var shortcutNorm = Producer(shortcutTensor, "BatchNormalization");
            var shortcutConv = Producer(shortcutNorm.Inputs[0], "Conv");
            if (shortcutConv.Inputs[0] != input)
            {
                throw Unexpected(shortcutTensor, "a shortcut from the block's input");
            }

            shortcut = (Convolution(shortcutConv, model), Normalisation(shortcutNorm));
        }

        return new ResidualBlockGraph(input, output, Convolution(conv1, model), Normalisation(bn1), Convolution(conv2, model), Normalisation(bn2), shortcut);

        bool IsBranch(string tensor) =>
            producers.TryGetValue(tensor, out var bn) && bn.OpType == "BatchNormalization"
            && producers.TryGetValue(bn.Inputs[0], out var conv) && conv.OpType == "Conv"
            && producers.TryGetValue(conv.Inputs[0], out var r) && r.OpType == "Relu"
            && producers.TryGetValue(r.Inputs[0], out var b) && b.OpType == "BatchNormalization";

        OnnxNode Producer(string tensor, string opType) =>
            producers.TryGetValue(tensor, out var node) && node.OpType == opType ? node : throw Unexpected(tensor, $"the output of a {opType}");
    }

    private static ConvolutionNode Convolution(OnnxNode node, ReadOnlySpan<byte> model)
    {
        if (node.Inputs.Count != 2 || (node.IntAttributes.TryGetValue("group", out var group) && group[0] != 1))
        {
            throw Unexpected(node.Outputs[0], "a Conv without bias or groups");
        }

        var (shape, _) = OnnxModelProto.ReadFloatInitializer(model, node.Inputs[1]);
        var strides = node.IntAttributes.GetValueOrDefault("strides", [1, 1]);
        var pads = node.IntAttributes.GetValueOrDefault("pads", [0, 0, 0, 0]);
        if (strides.Length != 2 || strides[0] != strides[1] || pads.Length != 4)
        {
            throw Unexpected(node.Outputs[0], "a 2-D Conv with equal strides");
        }

        return new ConvolutionNode(node.Inputs[1], shape, (int)strides[0], [.. pads.Select(p => (int)p)]);
    }

    private static NormalisationNode Normalisation(OnnxNode node)
    {
        if (node.Inputs.Count != 5)
        {
            throw Unexpected(node.Outputs[0], "a BatchNormalization with scale, bias, mean and variance");
        }

        return new NormalisationNode(node.Inputs[1], node.Inputs[2], node.Inputs[3], node.Inputs[4], node.FloatAttributes.GetValueOrDefault("epsilon", 1e-5f));
    }

    private static InvalidDataException Unexpected(string tensor, string expected) =>
        new($"The graph does not end in ResNet residual blocks: tensor '{tensor}' is not {expected}.");
}
