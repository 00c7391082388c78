using System.Text;
using Microsoft.ML.OnnxRuntime;
using OutfitFinder.Core.Extraction;

namespace OutfitFinder.Core.Tests.Extraction;

public sealed class OnnxModelProtoTests
{
    [Fact]
    public void WithSymbolicBatch_LetsAModelWithAHardCodedReshapeRunABatchOfThree()
    {
        var model = TinyReshapeModel();
        var input = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();

        using var fixedSession = new InferenceSession(model);
        Assert.Throws<OnnxRuntimeException>(() => RunReshape(fixedSession, input));

        using var batchSession = new InferenceSession(OnnxModelProto.WithSymbolicBatch(model));
        var (shape, output) = RunReshape(batchSession, input);

        Assert.Equal([-1, 4], batchSession.InputMetadata["x"].Dimensions);
        Assert.Equal(OnnxModelProto.BatchDimension, batchSession.InputMetadata["x"].SymbolicDimensions[0]);
        Assert.Equal([3L, 2, 2], shape);
        Assert.Equal(input, output);
    }

    [Fact]
    public void WithSymbolicBatch_ChangesOnlyTheBatchDimensionOfResNet18()
    {
        var original = File.ReadAllBytes(ModelPath("ResNet18Onnx", "ResNet18.onnx"));

        var rewritten = OnnxModelProto.WithSymbolicBatch(original);

        // 73 value_infos + input + output each trade "dim_value: 1" (2 bytes) for
        // "dim_param: batch" (7 bytes); every enclosing length prefix may grow too.
        Assert.InRange(rewritten.Length - original.Length, 75 * 5, 75 * 15);
        Assert.Equal(
            OnnxModelProto.ReadFloatInitializer(original, "Parameter91").Values,
            OnnxModelProto.ReadFloatInitializer(rewritten, "Parameter91").Values);
    }

    [Fact]
    public void ReadFloatInitializer_ReadsTheBgrMeanImageOfResNetPreprocess()
    {
        var model = File.ReadAllBytes(ModelPath("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

        var (dimensions, values) = OnnxModelProto.ReadFloatInitializer(model, "MeanImage");

        Assert.Equal([1L, 3, 224, 224], dimensions);
        var planeMeans = Enumerable.Range(0, 3).Select(c => values.Skip(c * 224 * 224).Take(224 * 224).Average()).ToArray();
        Assert.Equal(103.06, planeMeans[0], 1); // blue
        Assert.Equal(115.90, planeMeans[1], 1); // green
        Assert.Equal(123.15, planeMeans[2], 1); // red
    }

    [Fact]
    public void ReadFloatInitializer_ThrowsNamingTheInitializer_WhenItIsMissing()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelProto.ReadFloatInitializer(TinyReshapeModel(), "MeanImage"));

        Assert.Contains("'MeanImage'", error.Message, StringComparison.Ordinal);
    }

    private static string ModelPath(string folder, string file) => Path.Combine(AppContext.BaseDirectory, "Models", folder, file);

    private static (long[] Shape, float[] Values) RunReshape(InferenceSession session, float[] input)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [3, 4]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [value], ["y"]);
        return (outputs[0].GetTensorTypeAndShape().Shape, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>
    /// y = Reshape(x [1,4], shape = initializer [1,2,2]): the batch is hard-coded in the graph's
    /// shapes and in the Reshape target, as exporters write it.
    /// </summary>
    private static byte[] TinyReshapeModel()
    {
        var target = new byte[3 * sizeof(long)];
        BitConverter.GetBytes(1L).CopyTo(target, 0);
        BitConverter.GetBytes(2L).CopyTo(target, 8);
        BitConverter.GetBytes(2L).CopyTo(target, 16);

        var graph = Concat(
            Message(1, Concat(Text(1, "x"), Text(1, "shape"), Text(2, "y"), Text(4, "Reshape"))),
            Text(2, "tiny"),
            Message(5, Concat(Message(1, Varints(3)), Varint(2, 7), Text(8, "shape"), Message(9, target))),
            Message(11, ValueInfo("x", 1, 4)),
            Message(12, ValueInfo("y", 1, 2, 2)));
        return Concat(Varint(1, 7), Message(8, Concat(Text(1, ""), Varint(2, 13))), Message(7, graph));
    }

    private static byte[] ValueInfo(string name, params long[] dims)
    {
        var shape = Concat(dims.Select(d => Message(1, Varint(1, d))).ToArray());
        return Concat(Text(1, name), Message(2, Message(1, Concat(Varint(1, 1), Message(2, shape)))));
    }

    private static byte[] Message(int field, byte[] payload) => Concat(Key(field, 2), RawVarint((ulong)payload.Length), payload);

    private static byte[] Text(int field, string value) => Message(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Varint(int field, long value) => Concat(Key(field, 0), RawVarint((ulong)value));

    private static byte[] Varints(params long[] values) => Concat(values.Select(v => RawVarint((ulong)v)).ToArray());

    private static byte[] Key(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    private static byte[] RawVarint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);

        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];
}
